package org.fallow.xc.xen;

import org.fallow.abi.wire.RunDirectory;
import org.fallow.abi.process.HypervisorProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Debian's unmodified xenstore-utils 4.17 and Xen's own test-xenstore against a spawned hypervisor's
 * {@code xenstored.sock}. The packages come from the {@code fallow xen} cache (fetched with apt-get on first use);
 * under CI=true a missing package is a failure, elsewhere the tests are skipped.
 */
@Timeout(300)
class RealXenstoreToolsTest {
    private static HypervisorProcess hv;
    private static XenTool xen;

    @BeforeAll
    static void start() throws Exception {
        XenPackages pkgs = RealXenKit.packagesOrAbort(false);
        hv = HypervisorProcess.startInTempDir("fxs", "--host-mem", "64", "--threads", "1");
        RealXenKit.awaitXenstoredSocket(hv.runDir(), hv::isAlive, hv::logText);
        xen = new XenTool(pkgs, hv.runDir());
    }

    @AfterAll
    static void stop() throws IOException {
        if (hv != null) {
            hv.close();
            hv.deleteRunDir();
        }
    }

    private static XenTool.Result ok(String tool, String... args) throws Exception {
        XenTool.Result r = xen.run(tool, args);
        assertEquals(0, r.exit(), () -> tool + " " + String.join(" ", args) + " failed: " + r);
        return r;
    }

    @Test
    void writeThenReadPrintsTheValue() throws Exception {
        ok("xenstore-write", "/tool/x", "hello");
        assertEquals("hello\n", ok("xenstore-read", "/tool/x").out());
    }

    @Test
    void readOfTwoPathsUsesATransaction() throws Exception {
        ok("xenstore-write", "/two/a", "1", "/two/b", "2");
        assertEquals("1\n2\n", ok("xenstore-read", "/two/a", "/two/b").out());
    }

    @Test
    void listExistsAndRm() throws Exception {
        ok("xenstore-write", "/lst/a", "1", "/lst/b", "2", "/lst/c/d", "3");
        assertEquals(List.of("a", "b", "c"), ok("xenstore-list", "/lst").out().lines().toList());
        assertEquals(0, xen.run("xenstore-exists", "/lst/c/d").exit());
        ok("xenstore-rm", "/lst/c");
        assertEquals(1, xen.run("xenstore-exists", "/lst/c/d").exit(), "gone with its parent");
        assertEquals(List.of("a", "b"), ok("xenstore-list", "/lst").out().lines().toList());
        XenTool.Result missing = xen.run("xenstore-read", "/lst/zz");
        assertNotEquals(0, missing.exit());
        assertTrue(missing.err().contains("couldn't read path /lst/zz"), missing::toString);
    }

    @Test
    void lsWithPermsAndChmod() throws Exception {
        ok("xenstore-write", "/perm/n", "v");
        ok("xenstore-chmod", "/perm/n", "n0", "r5", "w6");
        String ls = ok("xenstore-ls", "-p", "/perm").out();
        assertTrue(ls.startsWith("n = \"v\""), ls);
        assertTrue(ls.trim().endsWith("(n0,r5,w6)"), ls);
        ok("xenstore-chmod", "-r", "/perm", "b0");
        assertTrue(ok("xenstore-ls", "-p", "/perm").out().trim().endsWith("(b0)"), "recursive chmod");
    }

    @Test
    void lsOfAHugeDirectoryNeedsDirectoryPart() throws Exception {
        // > 4096 bytes of child names: XS_DIRECTORY answers E2BIG, libxenstore falls back to XS_DIRECTORY_PART
        StringBuilder expected = new StringBuilder();
        java.util.List<String> args = new java.util.ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String n = "a-rather-long-child-name-" + i;
            args.add("/huge/" + n);
            args.add("v");
        }
        ok("xenstore-write", args.toArray(String[]::new));
        List<String> listed = ok("xenstore-list", "/huge").out().lines().toList();
        assertEquals(300, listed.size());
        assertEquals("a-rather-long-child-name-0", listed.get(0));
        assertEquals("a-rather-long-child-name-299", listed.get(299));
        ok("xenstore-rm", "/huge");
    }

    @Test
    void watchPrintsTheInitialEventAndLaterChanges() throws Exception {
        ok("xenstore-write", "/watched/seed", "0");
        Process p = xen.builder("xenstore-watch", List.of("-n", "3", "/watched")).redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("/watched", r.readLine(), "the watch fires once when registered");
            ok("xenstore-write", "/watched/a", "1");
            assertEquals("/watched/a", r.readLine());
            ok("xenstore-rm", "/watched/seed");
            assertEquals("/watched/seed", r.readLine());
            assertEquals(0, p.waitFor(), "exits after -n 3 events");
        } finally {
            p.destroy();
        }
    }

    @Test
    void controlListsXenstoredsQuotas() throws Exception {
        String q = ok("xenstore-control", "quota").out();
        assertTrue(q.contains("nodes            :     1000 Nodes per domain"), q);
        assertTrue(q.contains("watches          :      128 Watches per domain"), q);
        assertTrue(q.contains("transactions     :       10 Transactions per domain"), q);
        assertTrue(q.contains("node-size        :     2048 Max. size of a node"), q);
    }

    @Test
    void xensOwnTestXenstorePassesInFull() throws Exception {
        XenTool.Result r = ok("test-xenstore");
        for (String t : List.of("read 1", "read 2000", "write 1", "write 2000", "dir", "rm node", "rm dir",
                "ta empty", "ta empty x", "ta rmw", "ta rmw x", "ta err"))
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(String.format("%-10s:", t)) && l.endsWith(" ns")),
                    () -> "test '" + t + "' did not pass:\n" + r);
        assertFalse(r.out().contains("failed"), r::toString);
        assertEquals(1, xen.run("xenstore-exists", "/local/domain/0/xenstore-test").exit(), "test-xenstore cleaned up");
    }
}
