package org.fallow.guest.it;

import org.fallow.abi.AbiProfile;
import org.fallow.guest.GuestClock;
import org.fallow.guest.GuestSystem;
import org.fallow.guest.GuestTunables;
import org.fallow.guest.hv.HypercallTmemOps;
import org.fallow.guest.hv.GuestMemoryPhysMem;
import org.fallow.guest.hv.TmemOps;
import org.fallow.guest.mm.PageSignature;
import org.fallow.guest.workload.AnonGrowWorkload;
import org.fallow.guest.workload.Workload;
import org.fallow.hypervisor.core.Domain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Guests using the hypervisor's real tmem: cleancache hits, exclusive gets, frontswap and selfshrink. */
class TmemGuestTest {

    static GuestSystem boot(HvBed bed, HvBed.Dom d, GuestMemoryPhysMem mem, GuestTunables t, boolean scrub) {
        return boot(bed, d, mem, t, scrub, AbiProfile.XEN_4_12);
    }

    static GuestSystem boot(HvBed bed, HvBed.Dom d, GuestMemoryPhysMem mem, GuestTunables t, boolean scrub, AbiProfile p) {
        return new GuestSystem(mem, bed.hypercaller(d.domid(), p), t, new GuestClock.Simulated(),
                new GuestSystem.BootOptions(true, scrub, 0, p));
    }

    @Test @Timeout(120)
    void guestSpeakingThe2009AbiGetsCleancacheAndFrontswap(@TempDir Path dir) throws Exception {
        try (HvBed bed = new HvBed(dir, 16384)) {
            HvBed.Dom d = bed.createPlain(4096, 2048);
            try (GuestMemoryPhysMem mem = bed.physMem(d.domid())) {
                GuestTunables t = GuestTunables.defaults().cleancache(true).frontswap(true);
                GuestSystem g = boot(bed, d, mem, t, false, AbiProfile.TMEM_2009);
                assertTrue(g.tmemDriver().stats().newPoolFailures == 0);
                Workload w = Workload.byName("zipf-files", g.kernel().maxPfn(), 30_000);
                g.run(w, new SplittableRandom(6), 0, 0, null);
                var hog = g.kernel().spawn();
                g.kernel().resize(hog, 2500);
                for (int v = 0; v < 2500; v++) g.kernel().touch(hog, v, true);
                for (int v = 0; v < 2500; v++) g.kernel().touch(hog, v, false);
                assertTrue(g.kernel().cleancache().succGets() > 0);
                assertTrue(g.kernel().frontswap().succStores() > 0 && g.kernel().frontswap().loads() > 0);
                assertEquals(0, g.kernel().stats().dataErrors);
            }
        }
    }

    @Test @Timeout(120)
    void cleancacheGetsHitAndAreExclusive(@TempDir Path dir) throws Exception {
        try (HvBed bed = new HvBed(dir, 16384)) {
            HvBed.Dom d = bed.createPlain(4096, 2048);
            try (GuestMemoryPhysMem mem = bed.physMem(d.domid())) {
                GuestTunables t = GuestTunables.defaults().cleancache(true).frontswap(false);
                GuestSystem g = boot(bed, d, mem, t, false);
                assertEquals(2048, g.kernel().currentPages(), "frames beyond the populated ones start ballooned");
                Workload w = Workload.byName("zipf-files", g.kernel().maxPfn(), 60_000);
                g.run(w, new SplittableRandom(5), 0, 0, null);
                var cc = g.kernel().cleancache();
                assertTrue(cc.succGets() > 0, "cleancache hits: " + cc.succGets());
                assertTrue(cc.puts() > cc.succGets(), "every hit was put first");
                assertEquals(cc.succGets(), g.tmemDriver().stats().getHits);
                assertEquals(0, g.kernel().stats().dataErrors, "every hit returned the bytes that were put");
                assertTrue(g.kernel().stats().diskReads < g.kernel().stats().pageCacheMisses);
                String list = bed.tmemList();
                assertTrue(list.contains("C=CI:" + d.domid()), list);

                // exclusive gets on a private ephemeral pool: the second get of the same page misses
                TmemOps ops = new HypercallTmemOps(bed.hypercaller(d.domid(), AbiProfile.XEN_4_12), mem,
                        g.kernel().hypercallArgs(), AbiProfile.XEN_4_12);
                int pool = g.kernel().mount("scratch").poolId();
                int frame = g.kernel().allocBalloonFrame();
                PageSignature.write(mem, frame, PageSignature.FILE_MAGIC, 777, 3, 1);
                assertEquals(1, ops.putPage(pool, 777, 0, 0, 3, frame));
                mem.zeroPage(frame);
                assertEquals(1, ops.getPage(pool, 777, 0, 0, 3, frame));
                assertTrue(PageSignature.matches(mem, frame, PageSignature.FILE_MAGIC, 777, 3, 1));
                long again = ops.getPage(pool, 777, 0, 0, 3, frame);
                assertTrue(again == 0 || again == -1001, "second get of an exclusive page: " + again);
                g.kernel().freeBalloonFrame(frame);
            }
        }
    }

    @Test @Timeout(180)
    void frontswapFillsUnderPressureCountsAgainstTotPagesAndSelfshrinkDrainsIt(@TempDir Path dir) throws Exception {
        try (HvBed bed = new HvBed(dir, 16384)) {
            HvBed.Dom d = bed.createPlain(4096, 3072);
            try (GuestMemoryPhysMem mem = bed.physMem(d.domid())) {
                GuestTunables t = GuestTunables.defaults().cleancache(false).frontswap(true)
                        .frontswapSelfshrinking(true).selfballoonIntervalSec(1);
                GuestSystem g = boot(bed, d, mem, t, false);
                var fs = g.kernel().frontswap();
                AnonGrowWorkload w = new AnonGrowWorkload(5120, 1, 4000, Long.MAX_VALUE);
                var r = new SplittableRandom(9);
                w.setup(g.kernel(), r);
                long peak = 0;
                boolean checkedTot = false;
                while (w.step(g.kernel(), r)) {
                    g.clock().advance(GuestSystem.STEP_MS);
                    g.tick();
                    peak = Math.max(peak, fs.currPages());
                    if (w.phase() == 1 && !checkedTot) {
                        // persistent tmem pages count in the domain's tot_pages
                        assertEquals(g.kernel().currentPages() + fs.currPages(), bed.totPages(d.domid()));
                        checkedTot = true;
                    }
                }
                assertTrue(checkedTot);
                assertTrue(fs.succStores() > 0 && peak > 0, "frontswap used under anonymous pressure");
                assertTrue(fs.failedStores() > 0, "max_pages caps persistent pages: the rest went to the swap device");
                assertEquals(fs.failedStores(), g.kernel().swapDevice().pagesWritten());
                assertTrue(fs.loads() > 0);
                assertTrue(g.selfballoon().shrinks() > 0 && g.selfballoon().shrunkPages() > 0);
                assertTrue(fs.currPages() < peak / 2, "selfshrink drained frontswap: " + fs.currPages() + " of peak " + peak);
                assertTrue(fs.invalidates() > 0);
                assertEquals(0, g.kernel().stats().dataErrors);
                assertEquals(g.kernel().currentPages() + fs.currPages(), bed.totPages(d.domid()));
                assertEquals(Domain.State.RUNNING, bed.domain(d.domid()).state());
            }
        }
    }

    @Test @Timeout(120)
    void destroyedGuestLeavesNothingBehind(@TempDir Path dir) throws Exception {
        try (HvBed bed = new HvBed(dir, 16384)) {
            long total = bed.hostFreePages();
            HvBed.Dom d = bed.createPlain(4096, 2048);
            try (GuestMemoryPhysMem mem = bed.physMem(d.domid())) {
                GuestTunables t = GuestTunables.defaults().cleancache(true).frontswap(true);
                GuestSystem g = boot(bed, d, mem, t, false);
                g.kernel().mount("shared-ocfs2", true, 0x1234, 0x5678);
                Workload w = Workload.byName("kbuild", g.kernel().maxPfn(), 10_000_000);
                var r = new SplittableRandom(4);
                w.setup(g.kernel(), r);
                var hog = g.kernel().spawn(); // anonymous pressure so frontswap holds pages
                g.kernel().resize(hog, 2600);
                for (int v = 0; v < 2600; v++) g.kernel().touch(hog, v, true);
                for (int i = 0; i < 200; i++) w.step(g.kernel(), r);
                assertTrue(g.kernel().frontswap().currPages() > 0);
                assertTrue(g.kernel().cleancache().puts() > 0);
                assertTrue(bed.tmemList().contains("C=CI:" + d.domid()));
                // killed mid-run: the toolstack destroys the domain
                assertEquals(0, bed.destroy(d.domid()));
            }
            assertTrue(bed.totPages(d.domid()) < 0, "getdomaininfo no longer finds it");
            assertTrue(!bed.tmemList().contains("C=CI:" + d.domid()), "no tmem client left");
            // tmem keeps freed pages on its own free list (as Xen does) until the host asks: every page is recoverable
            assertTrue(bed.hostCanAllocate(total), "the host gets every page back (" + bed.hostFreePages() + " free now)");
        }
    }

    @Test @Timeout(120)
    void sharedPoolByUuidServesPagesAcrossAuthorizedGuests(@TempDir Path dir) throws Exception {
        try (HvBed bed = new HvBed(dir, 16384)) {
            HvBed.Dom a = bed.createPlain(2048, 1024), b = bed.createPlain(2048, 1024), c = bed.createPlain(2048, 1024);
            long lo = 0x0123456789ABCDEFL, hi = 0x0FEDCBA987654321L;
            assertEquals(1, bed.tmemAuth(a.domid(), lo, hi));
            assertEquals(1, bed.tmemAuth(b.domid(), lo, hi));
            try (GuestMemoryPhysMem ma = bed.physMem(a.domid()); GuestMemoryPhysMem mb = bed.physMem(b.domid());
                 GuestMemoryPhysMem mc = bed.physMem(c.domid())) {
                GuestTunables t = GuestTunables.defaults().cleancache(true).frontswap(false);
                GuestSystem ga = boot(bed, a, ma, t, false), gb = boot(bed, b, mb, t, false), gc = boot(bed, c, mc, t, false);
                int pa = ga.kernel().mount("ocfs2", true, lo, hi).poolId();
                int pb = gb.kernel().mount("ocfs2", true, lo, hi).poolId();
                int pc = gc.kernel().mount("ocfs2", true, lo, hi).poolId(); // not authorized: a private pool
                TmemOps oa = new HypercallTmemOps(bed.hypercaller(a.domid(), AbiProfile.XEN_4_12), ma, ga.kernel().hypercallArgs(), AbiProfile.XEN_4_12);
                TmemOps ob = new HypercallTmemOps(bed.hypercaller(b.domid(), AbiProfile.XEN_4_12), mb, gb.kernel().hypercallArgs(), AbiProfile.XEN_4_12);
                TmemOps oc = new HypercallTmemOps(bed.hypercaller(c.domid(), AbiProfile.XEN_4_12), mc, gc.kernel().hypercallArgs(), AbiProfile.XEN_4_12);
                int fa = ga.kernel().allocBalloonFrame(), fb = gb.kernel().allocBalloonFrame(), fc = gc.kernel().allocBalloonFrame();
                PageSignature.write(ma, fa, PageSignature.FILE_MAGIC, 4242, 9, 3);
                assertEquals(1, oa.putPage(pa, 4242, 0, 0, 9, fa));
                assertEquals(1, ob.getPage(pb, 4242, 0, 0, 9, fb), "guest B reads what guest A put");
                assertTrue(PageSignature.matches(mb, fb, PageSignature.FILE_MAGIC, 4242, 9, 3));
                assertEquals(1, ob.getPage(pb, 4242, 0, 0, 9, fb), "shared gets are not exclusive");
                long rc = oc.getPage(pc, 4242, 0, 0, 9, fc);
                assertEquals(-1001, rc, "an unauthorized guest got a private pool, still empty: -EEMPTY before any lookup");
            }
        }
    }
}
