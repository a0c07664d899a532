package org.fallow.abi.xen;

import org.fallow.abi.process.SearchPath;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.fallow.abi.AbiProfile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generates, from {@link AbiRegistry}, a C program that includes the real Xen headers (Debian libxen-dev) and prints
 * {@code offsetof}/{@code sizeof} of every field path of every 4.12 struct; compiles it with gcc, runs it and compares
 * every row with the Java layouts. Rows listed in {@link HeaderExceptions} are handled as documented there.
 */
class CProbeTest {
    private static final Path XEN_INCLUDE = Path.of("/usr/include/xen");
    /** Fallow's own structs in C (fallow_wire.h), probed like Xen's. */
    private static final Path FALLOW_INCLUDE = Path.of(System.getProperty("fallow.repo.root", ".."), "abi/src/main/c").toAbsolutePath();

    @Test
    @Timeout(180)
    void everyFourTwelveLayoutMatchesTheInstalledXenHeaders(@TempDir Path dir) throws Exception {
        requireInCi(SearchPath.onPath("gcc"), "gcc is not installed (CI installs it: apt-get install gcc)");
        requireInCi(Files.isRegularFile(XEN_INCLUDE.resolve("tmem.h")),
                "/usr/include/xen/tmem.h is missing (CI installs it: apt-get install libxen-dev)");

        List<AbiStruct> structs = AbiRegistry.of(AbiProfile.XEN_4_12);
        Path src = dir.resolve("probe.c");
        Files.writeString(src, probeSource(structs), StandardCharsets.UTF_8);
        Path exe = dir.resolve("probe");
        String compileOut = run(dir, "gcc", "-std=gnu11", "-Wall", "-Werror", "-D__XEN_TOOLS__",
                "-I/usr/include", "-I" + FALLOW_INCLUDE, "-o", exe.toString(), src.toString());
        Map<String, long[]> c = parse(run(dir, exe.toString()));
        assertFalse(c.isEmpty(), "probe printed nothing; gcc said: " + compileOut);

        List<String> failures = new ArrayList<>();
        int compared = 0, differsConfirmed = 0;
        for (LayoutTable.Row row : LayoutTable.rows(structs)) {
            String key = row.struct() + "\t" + row.field();
            HeaderExceptions.Entry ex = HeaderExceptions.find(row.struct(), row.field());
            long[] got = c.get(key);
            if (ex != null && ex.kind() == HeaderExceptions.Kind.ABSENT) {
                assertNull(got, key + " is listed ABSENT but was probed");
                continue;
            }
            if (got == null) {
                failures.add(key + ": not probed");
                continue;
            }
            boolean same = got[0] == row.offset() && got[1] == row.size();
            if (ex != null && ex.kind() == HeaderExceptions.Kind.DIFFERS) {
                if (same) failures.add(key + ": listed DIFFERS (" + ex.why() + ") but the header agrees: "
                        + row.offset() + "/" + row.size() + " - remove the exception");
                else if (got[0] != ex.header417()[0] || got[1] != ex.header417()[1])
                    failures.add(key + ": 4.17 header shows " + got[0] + "/" + got[1] + ", the exception list says "
                            + ex.header417()[0] + "/" + ex.header417()[1]);
                else differsConfirmed++;
                continue;
            }
            compared++;
            if (!same) failures.add(key + ": java " + row.offset() + "/" + row.size() + " vs C " + got[0] + "/" + got[1]);
        }
        assertEquals(List.of(), failures, "layout mismatches against /usr/include/xen");
        assertTrue(compared > 300, "only " + compared + " rows compared");
        assertTrue(differsConfirmed > 0);
        // every exception entry is used by some row (no stale entries)
        for (HeaderExceptions.Entry e : HeaderExceptions.ENTRIES) {
            boolean used = LayoutTable.rows(structs).stream().anyMatch(r -> e.covers(r.struct(), r.field()));
            assertTrue(used, "stale exception " + e);
        }
    }

    /** Profile 4.17's own layouts (vm_event v7, the structs only the 4.17 tools use) are 4.17's headers exactly. */
    @Test
    @Timeout(180)
    void everyFourSeventeenLayoutMatchesTheInstalledXenHeadersExactly(@TempDir Path dir) throws Exception {
        requireInCi(SearchPath.onPath("gcc"), "gcc is not installed (CI installs it: apt-get install gcc)");
        requireInCi(Files.isRegularFile(XEN_INCLUDE.resolve("vm_event.h")),
                "/usr/include/xen/vm_event.h is missing (CI installs it: apt-get install libxen-dev)");
        List<AbiStruct> structs = AbiRegistry.of(AbiProfile.XEN_4_17);
        assertTrue(structs.size() >= 6, "4.17 structs: " + structs);
        Path c = dir.resolve("probe17.c");
        Files.writeString(c, probeSource(structs), StandardCharsets.UTF_8);
        Path exe = dir.resolve("probe17");
        run(dir, "gcc", "-std=gnu11", "-Wall", "-Werror", "-D__XEN_TOOLS__", "-I/usr/include", "-I" + FALLOW_INCLUDE, "-o", exe.toString(), c.toString());
        Map<String, long[]> got = parse(run(dir, exe.toString()));
        List<String> failures = new ArrayList<>();
        int compared = 0;
        for (LayoutTable.Row row : LayoutTable.rows(structs)) {
            long[] g = got.get(row.struct() + "\t" + row.field());
            if (g == null) { failures.add(row.struct() + "." + row.field() + ": not probed"); continue; }
            compared++;
            if (g[0] != row.offset() || g[1] != row.size())
                failures.add(row.struct() + "." + row.field() + ": java " + row.offset() + "/" + row.size() + " vs C " + g[0] + "/" + g[1]);
        }
        assertEquals(List.of(), failures, "4.17 layout mismatches against /usr/include/xen");
        assertTrue(compared > 80, "only " + compared + " rows compared");
        assertEquals(400, got.get("vm_event_request\t<sizeof>")[1], "vm_event v7 entry");
    }

    @Test
    void probeSourceNamesEveryFieldPathWithOffsetofAndSizeof() {
        String src = probeSource(AbiRegistry.of(AbiProfile.XEN_4_12));
        assertTrue(src.contains("ROW(\"tmem_op\", struct tmem_op, u.gen.oid);"), src);
        assertTrue(src.contains("SIZE(\"tmem_op\", struct tmem_op);"));
        assertTrue(src.contains("ROW(\"vm_event_request\", vm_event_request_t, u.mem_paging.gfn);"));
        assertTrue(src.contains("ROW(\"fallow_p2m_header\", struct fallow_p2m_header, nr_frames);"), "Fallow's own structs too");
        assertFalse(src.contains("xen_tmem_client"), "absent structs must not be probed");
        assertFalse(src.contains("u.tmem_op"), "absent members must not be probed");
    }

    static String probeSource(List<AbiStruct> structs) {
        StringBuilder b = new StringBuilder();
        b.append("""
                /* Generated by CProbeTest from AbiRegistry: offsetof/sizeof of every Fallow field path. */
                #include <stdio.h>
                #include <stddef.h>
                #include <stdint.h>
                #include <xen/xen.h>
                #include <xen/memory.h>
                #include <xen/tmem.h>
                #include <xen/domctl.h>
                #include <xen/sysctl.h>
                #include <xen/vm_event.h>
                #include <xen/hvm/hvm_op.h>
                #include <xen/io/ring.h>
                #include <xen/sys/privcmd.h>
                #include <xen/io/xs_wire.h>
                #include <xen/version.h>
                #include "fallow_wire.h"
                #define ROW(S, T, F) printf("%s\\t%s\\t%zu\\t%zu\\n", S, #F, offsetof(T, F), sizeof(((T *)0)->F))
                #define ROWAS(S, T, N, F) printf("%s\\t%s\\t%zu\\t%zu\\n", S, N, offsetof(T, F), sizeof(((T *)0)->F))
                #define SIZE(S, T) printf("%s\\t<sizeof>\\t0\\t%zu\\n", S, sizeof(T))
                int main(void) {
                """);
        for (AbiStruct s : structs) {
            if (HeaderExceptions.wholeStructAbsent(s.name())) continue;
            for (LayoutField f : s.fields()) {
                HeaderExceptions.Entry ex = HeaderExceptions.find(s.name(), f.path());
                if (ex != null && ex.kind() == HeaderExceptions.Kind.ABSENT) continue;
                if (ex != null && ex.kind() == HeaderExceptions.Kind.RENAMED) {
                    b.append("    ROWAS(\"").append(s.name()).append("\", ").append(s.cType()).append(", \"")
                            .append(f.path()).append("\", ").append(ex.cField()).append(");\n");
                    continue;
                }
                b.append("    ROW(\"").append(s.name()).append("\", ").append(s.cType()).append(", ")
                        .append(f.path()).append(");\n");
            }
            b.append("    SIZE(\"").append(s.name()).append("\", ").append(s.cType()).append(");\n");
        }
        b.append("    return 0;\n}\n");
        return b.toString();
    }

    private static Map<String, long[]> parse(String out) {
        Map<String, long[]> m = new HashMap<>();
        for (String line : out.split("\n")) {
            if (line.isBlank()) continue;
            String[] p = line.split("\t");
            m.put(p[0] + "\t" + p[1], new long[] {Long.parseLong(p[2]), Long.parseLong(p[3])});
        }
        return m;
    }

    /** Skips locally when gcc / the Xen headers are missing; fails in CI (CI=set, .ci/run installs both). */
    private static void requireInCi(boolean present, String why) {
        if (System.getenv("CI") != null) assertTrue(present, why);
        else Assumptions.assumeTrue(present, why);
    }

    private static String run(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + String.join(" ", cmd));
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + text);
        return text;
    }
}
