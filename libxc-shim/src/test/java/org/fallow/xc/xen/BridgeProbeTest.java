package org.fallow.xc.xen;

import org.fallow.abi.process.HypervisorProcess;
import org.fallow.xc.tools.DomainCommands;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The privcmd bridge's mechanics without Debian's packages: {@code src/test/c/bridge_probe.c} makes the calls
 * libxencall and libxenforeignmemory make (open the devices, a hypercall buffer, IOCTL_PRIVCMD_HYPERCALL, the
 * UNIMPLEMENTED / DM_OP / MMAP_RESOURCE probes, MMAPBATCH_V2 with a good and a bad gfn, a write through the foreign
 * mapping, a path under /var/lib/xen, a fork) with the bridge preloaded, against a spawned hypervisor. Needs gcc
 * only (under CI=true its absence fails).
 */
@Timeout(300)
class BridgeProbeTest {
    @TempDir Path tmp;

    @Test
    void aProgramUsingTheLinuxDevicesIsServedByTheBridge() throws Exception {
        Path bridge;
        try {
            bridge = XenBridge.ensureBuilt(tmp.resolve("cache"));
        } catch (IOException e) {
            if (System.getenv("CI") != null) fail(e.getMessage());
            Assumptions.abort(e.getMessage());
            return;
        }
        Path probe = tmp.resolve("bridge_probe");
        Process cc = new ProcessBuilder("gcc", "-std=gnu11", "-O2", "-Wall", "-o", probe.toString(),
                Path.of("src/test/c/bridge_probe.c").toAbsolutePath().toString()).redirectErrorStream(true).start();
        String ccOut = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(cc.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, cc.exitValue(), ccOut);

        HypervisorProcess hv = HypervisorProcess.startInTempDir("fbp", "--host-mem", "64", "--threads", "1");
        {
            try {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                assertEquals(0, DomainCommands.execute(new PrintStream(out, true, StandardCharsets.UTF_8), System.err,
                        "create", "--memory", "8", "--name", "probe", "--socket", hv.socket().toString()));
                Matcher m = Pattern.compile("domid (\\d+)").matcher(out.toString(StandardCharsets.UTF_8));
                assertTrue(m.find(), out::toString);
                int domid = Integer.parseInt(m.group(1));
                long gfn = 3;

                ProcessBuilder pb = new ProcessBuilder(probe.toString(), String.valueOf(domid), String.valueOf(gfn));
                pb.environment().putAll(XenBridge.environment(bridge, hv.runDir(), hv.socket(), null, false, System.getenv()));
                pb.redirectErrorStream(true);
                Process p = pb.start();
                p.getOutputStream().close();
                String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(p.waitFor(120, TimeUnit.SECONDS));
                List<String> lines = text.lines().toList();
                assertEquals(0, p.exitValue(), text + "\n" + bridgeLog(hv));
                assertTrue(lines.stream().allMatch(l -> l.startsWith("ok ")), text);
                assertEquals(16, lines.size(), text);

                byte[] got = new byte[23];
                try (RandomAccessFile f = new RandomAccessFile(hv.runDir().resolve("dom" + domid + ".mem").toFile(), "r")) {
                    f.seek(gfn * 4096 + 100);
                    f.readFully(got);
                }
                assertEquals("written by bridge_probe", new String(got, StandardCharsets.US_ASCII),
                        "the foreign mapping is the guest's frame");
                Path redirected = hv.runDir().resolve("xen-state/lib/bridge-probe");
                assertTrue(Files.isRegularFile(redirected, LinkOption.NOFOLLOW_LINKS), "/var/lib/xen lands in the run dir");
                assertEquals(1, Files.size(redirected));
                String log = bridgeLog(hv);
                assertTrue(log.contains("unserved: IOCTL_PRIVCMD_DM_OP"), log);
                assertTrue(log.contains("unserved: IOCTL_PRIVCMD_MMAP_RESOURCE"), log);
                assertEquals(2, log.lines().filter(l -> l.contains(": connected to")).count(), "parent and forked child:\n" + log);
            } finally {
                hv.close();
                hv.deleteRunDir();
            }
        }
    }

    private static String bridgeLog(HypervisorProcess hv) throws IOException {
        Path log = hv.runDir().resolve(XenBridge.LOG_NAME);
        return Files.exists(log) ? Files.readString(log) : "(no bridge log)";
    }
}
