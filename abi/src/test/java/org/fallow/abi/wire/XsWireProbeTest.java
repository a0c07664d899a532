package org.fallow.abi.wire;

import org.fallow.abi.process.SearchPath;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Compiles a C probe against the installed {@code xen/io/xs_wire.h} (Debian libxen-dev) and checks every
 * {@link XsSockMsg} constant (message types, limits) and the {@code struct xsd_sockmsg} layout against it.
 */
class XsWireProbeTest {
    private static final Path HEADER = Path.of("/usr/include/xen/io/xs_wire.h");

    @Test
    @Timeout(120)
    void constantsAndLayoutMatchTheInstalledHeader(@TempDir Path dir) throws Exception {
        boolean gcc = SearchPath.onPath("gcc");
        boolean header = Files.isRegularFile(HEADER);
        String why = "gcc and " + HEADER + " are needed (CI installs them: apt-get install gcc libxen-dev)";
        if (System.getenv("CI") != null) assertTrue(gcc && header, why);
        else Assumptions.assumeTrue(gcc && header, why);

        Map<String, Integer> java = new HashMap<>();
        for (String n : new String[]{"XS_CONTROL", "XS_DIRECTORY", "XS_READ", "XS_GET_PERMS", "XS_WATCH", "XS_UNWATCH",
                "XS_TRANSACTION_START", "XS_TRANSACTION_END", "XS_INTRODUCE", "XS_RELEASE", "XS_GET_DOMAIN_PATH",
                "XS_WRITE", "XS_MKDIR", "XS_RM", "XS_SET_PERMS", "XS_WATCH_EVENT", "XS_ERROR", "XS_IS_DOMAIN_INTRODUCED",
                "XS_RESUME", "XS_SET_TARGET", "XS_RESET_WATCHES", "XS_DIRECTORY_PART", "XS_TYPE_COUNT", "XS_INVALID"}) {
            java.put(n, XsSockMsg.class.getField(n).getInt(null));
        }
        java.put("XENSTORE_PAYLOAD_MAX", XsSockMsg.PAYLOAD_MAX);
        java.put("XENSTORE_ABS_PATH_MAX", XsSockMsg.ABS_PATH_MAX);
        java.put("XENSTORE_REL_PATH_MAX", XsSockMsg.REL_PATH_MAX);
        java.put("sizeof_xsd_sockmsg", XsSockMsg.HEADER_LENGTH);
        java.put("offsetof_type", XsSockMsg.TYPE_OFFSET);
        java.put("offsetof_req_id", XsSockMsg.REQ_ID_OFFSET);
        java.put("offsetof_tx_id", XsSockMsg.TX_ID_OFFSET);
        java.put("offsetof_len", XsSockMsg.LEN_OFFSET);

        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include <stdint.h>\n#include <errno.h>\n"
                + "#include <xen/io/xs_wire.h>\nint main(void) {\n");
        for (String n : java.keySet()) {
            String expr = n.startsWith("sizeof_") ? "sizeof(struct xsd_sockmsg)"
                    : n.startsWith("offsetof_") ? "offsetof(struct xsd_sockmsg, " + n.substring(9) + ")" : n;
            c.append("  printf(\"%s %ld\\n\", \"").append(n).append("\", (long)(").append(expr).append("));\n");
        }
        c.append("  return 0;\n}\n");
        Path src = dir.resolve("probe.c");
        Files.writeString(src, c.toString(), StandardCharsets.UTF_8);
        Path exe = dir.resolve("probe");
        Process cc = new ProcessBuilder("gcc", "-std=gnu11", "-Wall", "-Werror", "-o", exe.toString(), src.toString())
                .redirectErrorStream(true).start();
        String ccOut = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, cc.waitFor(), ccOut);
        Process run = new ProcessBuilder(exe.toString()).redirectErrorStream(true).start();
        String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, run.waitFor(), out);
        Map<String, Integer> header417 = new HashMap<>();
        for (String line : out.lines().toList()) {
            String[] f = line.split(" ");
            header417.put(f[0], Integer.parseInt(f[1]));
        }
        assertEquals(java, header417);
    }
}
