package org.fallow.guest.paging;

import org.fallow.abi.wire.RunDirectory;
import org.fallow.xc.tools.PagingCommands;
import org.fallow.xc.xen.XenBridge;
import org.fallow.xc.xen.RealXenKit;
import org.fallow.xc.xen.XenPackages;
import org.fallow.xc.xen.XenTool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Debian's unmodified xenpaging (Xen 4.17, /usr/lib/xen-4.17/bin/xenpaging) through the privcmd bridge pages a guest
 * process of the multi-process bed down to its {@code mem-swap-target} while the guest's vCPUs read and write every
 * page, survives a kill -9 (a second real xenpaging takes over; the bridge pages the dead one's pages back in from its
 * page file), and pages everything back in on SIGTERM: every page then holds what its vCPU wrote last. This exercises the
 * whole 4.17 profile with a real pager: interface versions, the v7 ring in the ring gfn's frame it mapped before
 * ENABLE, the unaligned prep buffer of libxc 4.17, the response-version compatibility (real xenpaging never sets the
 * version) and the foreign-fault path its page-in thread relies on at SIGTERM. Under CI=true missing packages fail.
 */
@Timeout(600)
class RealXenPagingTest {
    static final int FRAMES = 4096, TARGET_MB = 8, TARGET_PAGES = TARGET_MB * 256, VCPUS = 2;
    PagingProcessBed bed;
    XenTool xen;

    @BeforeEach void setUp() throws Exception {
        XenPackages pkgs = RealXenKit.packagesOrAbort(true);
        bed = new PagingProcessBed("96");
        RealXenKit.awaitXenstoredSocket(bed.dir, bed.hv::isAlive, bed.hv::logText);
        xen = new XenTool(pkgs, bed.dir);
    }

    @AfterEach void tearDown() throws Exception {
        if (bed != null) bed.close();
    }

    private Process realPager(Path pagefile, String logName) throws IOException {
        ProcessBuilder pb = xen.builder("xenpaging", List.of("-d", "1", "-f", pagefile.toString(), "-v"));
        pb.redirectErrorStream(true).redirectOutput(bed.dir.resolve(logName).toFile());
        Process p = pb.start();
        p.getOutputStream().close();
        return p;
    }

    private String logs(String logName) {
        try {
            String pager = Files.readString(bed.dir.resolve(logName));
            Path bridge = bed.dir.resolve(XenBridge.LOG_NAME);
            String b = Files.exists(bridge) ? Files.readString(bridge) : "";
            return "xenpaging (tail):\n" + pager.substring(Math.max(0, pager.length() - 3000))
                    + "\nbridge log (tail):\n" + b.substring(Math.max(0, b.length() - 3000))
                    + "\nhypervisor (tail):\n" + bed.hv.logText().substring(Math.max(0, bed.hv.logText().length() - 3000));
        } catch (IOException e) {
            return "(logs unreadable: " + e + ")";
        }
    }

    @Test void realXenpagingPagesAGuestToItsTargetAndBackOnSigterm() throws Exception {
        assertEquals(0, bed.createDomain(FRAMES, VCPUS), "createdomain + populate through the real guest-memory subsystem");
        bed.startGuest(FRAMES, VCPUS);
        assertEquals("ok 0", bed.ask("init"));
        assertEquals(0, new CommandLine(new PagingCommands.MemSwapTarget())
                .execute("1", String.valueOf(TARGET_MB), "--socket", bed.hv.socket().toString()));

        Path pagefile = bed.dir.resolve("real-pagefile");
        Process pager = realPager(pagefile, "xenpaging-1.log");
        while (bed.totPages() != TARGET_PAGES) { // bounded by @Timeout
            assertTrue(pager.isAlive(), () -> "xenpaging exited " + pager.exitValue() + "\n" + logs("xenpaging-1.log"));
            Thread.sleep(20);
        }
        assertEquals(FRAMES - TARGET_PAGES, bed.host.domainInfo(1).pagedPages(), "everything above the target is paged out");
        assertFalse(Files.exists(bed.dir.resolve("dom1.vmring")), "a 4.17 ring lives in the ring gfn's frame");

        // the guest touches every page twice: paged-out pages come back through the real pager's page-ins
        String r = bed.ask("pass 2");
        assertTrue(r.startsWith("ok ") && Long.parseLong(r.substring(3)) > 0, () -> r + "\n" + logs("xenpaging-1.log"));
        while (bed.totPages() != TARGET_PAGES) { // the pager pages out again to its target
            assertTrue(pager.isAlive(), () -> logs("xenpaging-1.log"));
            Thread.sleep(20);
        }
        String mid = bed.ask("verify"); // reads every page: paged-out ones fault in, every one is checked
        assertTrue(mid.startsWith("ok "), () -> mid + "\n" + logs("xenpaging-1.log"));

        // kill -9 of the real pager with pages out: its page file and the bridge's journal of it survive; the guest's
        // next pass stalls on the paged-out pages until a new real xenpaging takes the ring over, and the bridge
        // pages the dead pager's pages back in from the file before the new pager truncates it (DEVIATIONS.md)
        pager.destroyForcibly();
        assertTrue(pager.waitFor(60, TimeUnit.SECONDS));
        assertTrue(Files.exists(pagefile), "the killed pager's page file");
        assertTrue(Files.exists(bed.dir.resolve("real-pagefile.fallow-slots")), "the bridge's journal of it");
        long pagedAtKill = bed.host.domainInfo(1).pagedPages();
        assertTrue(pagedAtKill > 0, "pages were out when the pager died");
        CompletableFuture<String> stalled = CompletableFuture.supplyAsync(() -> {
            try { return bed.ask("pass 1"); } catch (Exception e) { return "FAIL " + e; }
        });
        Process pager2 = realPager(pagefile, "xenpaging-2.log");
        String s = stalled.get(300, TimeUnit.SECONDS);
        assertTrue(s.startsWith("ok "), () -> s + "\n" + logs("xenpaging-2.log"));
        assertTrue(Files.readString(bed.dir.resolve(XenBridge.LOG_NAME)).contains("pages paged back in from it"),
                () -> logs("xenpaging-2.log"));
        String again = bed.ask("pass 1");
        assertTrue(again.startsWith("ok "), () -> again + "\n" + logs("xenpaging-2.log"));
        while (bed.totPages() != TARGET_PAGES) { // the new pager pages out to the target again
            assertTrue(pager2.isAlive(), () -> logs("xenpaging-2.log"));
            Thread.sleep(20);
        }

        pager2.destroy(); // SIGTERM: xenpaging pages everything back in (its page-in thread maps paged gfns: gap 5)
        assertTrue(pager2.waitFor(300, TimeUnit.SECONDS), () -> logs("xenpaging-2.log"));
        assertEquals(0, pager2.exitValue(), () -> logs("xenpaging-2.log"));
        assertEquals(0, bed.host.domainInfo(1).pagedPages(), () -> logs("xenpaging-2.log"));
        assertFalse(Files.exists(bed.dir.resolve("real-pagefile.fallow-slots")), "the journal goes with the page file");
        assertEquals(FRAMES, bed.totPages(), "everything resident again (the ring gfn left the physmap)");
        String v = bed.ask("verify");
        assertTrue(v.startsWith("ok "), () -> "every page holds what its vcpu wrote last: " + v);
        assertEquals("ok 0", v, "no faults left: every page is RAM again");
    }
}
