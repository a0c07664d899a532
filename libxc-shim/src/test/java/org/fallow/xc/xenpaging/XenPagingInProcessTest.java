package org.fallow.xc.xenpaging;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The paging "must show" in one JVM: a guest of 16 MiB with actmem 4 MiB (memory=4096/actmem=1024 scaled by 1/256)
 * converges to exactly the target while several vcpus read and write all of its memory; every page reads back as
 * written, across a pager that is killed and replaced; SIGTERM pages everything back in.
 */
@Timeout(240)
class XenPagingInProcessTest {
    static final int FRAMES = 4096;          // 16 MiB
    static final long RING_GFN = FRAMES - 1; // the ring page sits above the RAM the workload uses
    static final int TARGET_KIB = 4 * 1024;  // actmem = 4 MiB
    static final int VCPUS = 12;             // more paused vcpus than ring slots (8)

    Path dir;
    InProcessPagingHost hv;
    final long[] version = new long[FRAMES];

    @BeforeEach void setUp() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "fl");
        hv = new InProcessPagingHost(dir, FRAMES, VCPUS, RING_GFN);
    }

    @AfterEach void tearDown() throws Exception {
        hv.close();
        org.fallow.abi.fs.SafeFiles.deleteTree(dir);
    }

    /** Each vcpu owns the gfns ≡ id (mod VCPUS): it verifies the last version it wrote, then writes the next one. */
    private long pass(int passes) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(VCPUS);
        AtomicLong faults = new AtomicLong();
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int id = 0; id < VCPUS; id++) {
                int vid = id;
                fs.add(pool.submit(() -> {
                    InProcessPagingHost.Vcpu v = hv.new Vcpu(vid);
                    for (int p = 0; p < passes; p++) {
                        for (long g = vid; g < RING_GFN; g += VCPUS) {
                            long gfn = g;
                            long ver = version[(int) gfn];
                            v.access(gfn, true, page -> {
                                int bad = PageStamp.check(page, gfn, ver);
                                if (bad >= 0) throw new AssertionError("gfn " + gfn + " version " + ver + ": word " + bad + " differs");
                                PageStamp.write(page, gfn, ver + 1);
                            });
                            version[(int) gfn] = ver + 1;
                        }
                    }
                    faults.addAndGet(v.faults);
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        } finally {
            pool.shutdownNow();
        }
        return faults.get();
    }

    private static void await(String what, BooleanSupplier cond) throws InterruptedException {
        while (!cond.getAsBoolean()) Thread.sleep(5); // bounded by the class @Timeout
    }

    private Thread start(XenPaging pager, int[] exit) {
        Thread t = new Thread(() -> exit[0] = pager.run(), "xenpaging");
        t.start();
        return t;
    }

    /** Issue 15 item 12: -m replaces the domain's max_pages (xenpaging_init asks for max_pages only without it). */
    @Test void maxMemkbOverridesTheDomainsMaxPages() throws Exception {
        for (long kib : new long[] {2L * FRAMES * 4, 1024}) {
            InProcessPagingHost.Pager conn = hv.newPagerConnection();
            XenPaging pager = new XenPaging(conn, new XenPagingOptions(InProcessPagingHost.DOMID, dir.resolve("pf" + kib), kib, 256, false));
            int[] exit = {-1};
            Thread t = start(pager, exit);
            await("initialised", () -> pager.maxPages() != 0);
            assertEquals(kib / 4, pager.maxPages(), "-m " + kib + " KiB");
            pager.requestShutdown();
            t.join();
            assertEquals(0, exit[0]);
        }
        XenPaging huge = new XenPaging(hv.newPagerConnection(),
                new XenPagingOptions(InProcessPagingHost.DOMID, dir.resolve("pfh"), (XenPaging.MAX_MANAGED_PAGES + 1) * 4, 256, false));
        assertEquals(XenPaging.EXIT_INIT_FAILED, huge.run(), "more than the gfn space: initialisation fails, exit 1");
    }

    @Test void guestRunsAtActmemAndNoPageIsLostAcrossAPagerKill() throws Exception {
        for (long g = 0; g < RING_GFN; g++) PageStamp.write(hv.mem.frame(g), g, 0);
        Path pagefile = dir.resolve("pagefile");
        String key = "/local/domain/" + InProcessPagingHost.DOMID + "/memory/target-tot_pages";
        hv.xsWrite(key, String.valueOf(TARGET_KIB));
        long target = TARGET_KIB / 4;

        InProcessPagingHost.Pager conn1 = hv.newPagerConnection();
        XenPaging pager1 = new XenPaging(conn1, new XenPagingOptions(InProcessPagingHost.DOMID, pagefile, 0, 256, false));
        int[] exit1 = {-1};
        Thread t1 = start(pager1, exit1);
        await("converged", () -> hv.totPages() == target);
        assertEquals(FRAMES - 1 - target, hv.onDispatch(() -> hv.paging.pagedPages(hv.dom)), "everything above the target is paged");

        long faults = pass(2);
        assertTrue(faults > 0, "the workload had to page in");
        await("converged again", () -> hv.totPages() == target);
        assertEquals(target, hv.totPages(), "exactly the target is resident");

        // Kill the pager (no clean-up at all), let the guest fault on paged-out pages while no pager runs.
        conn1.kill();
        t1.join();
        assertTrue(Files.exists(pagefile) && PageFile.leftBehind(pagefile), "a killed pager leaves its pagefile and slot index");
        ExecutorService bg = Executors.newSingleThreadExecutor();
        Future<Long> stalled = bg.submit(() -> pass(1));
        await("vcpus paused without a pager", () -> hv.onDispatch(() -> hv.paging.pausedAccesses(hv.dom)) >= 1);

        InProcessPagingHost.Pager conn2 = hv.newPagerConnection();
        XenPaging pager2 = new XenPaging(conn2, new XenPagingOptions(InProcessPagingHost.DOMID, pagefile, 0, 256, false));
        int[] exit2 = {-1};
        Thread t2 = start(pager2, exit2);
        assertTrue(stalled.get() > 0);
        bg.shutdown();
        pass(1);
        await("converged after restart", () -> hv.totPages() == target);
        assertEquals(target, hv.totPages());

        // SIGTERM: everything comes back in, the pagefile goes away, exit code 0.
        pager2.requestShutdown();
        t2.join();
        assertEquals(0, exit2[0]);
        assertEquals(FRAMES - 1, hv.totPages(), "all RAM resident again (the ring page left the physmap)");
        assertEquals(0, hv.onDispatch(() -> hv.paging.pagedPages(hv.dom)));
        assertFalse(Files.exists(pagefile));
        assertFalse(PageFile.leftBehind(pagefile));
        for (long g = 0; g < RING_GFN; g++)
            assertEquals(-1, PageStamp.check(hv.mem.frame(g), g, version[(int) g]), "gfn " + g);
    }

    @Test void xen417VersionSevenRingWorksEndToEnd() throws Exception {
        hv.close();
        hv = new InProcessPagingHost(dir, 1024, 4, 1023, 7);
        for (long g = 0; g < 1023; g++) PageStamp.write(hv.mem.frame(g), g, 0);
        hv.xsWrite("/local/domain/" + InProcessPagingHost.DOMID + "/memory/target-tot_pages", String.valueOf(256 * 4));
        InProcessPagingHost.Pager conn = hv.newPagerConnection();
        XenPaging pager = new XenPaging(conn, new XenPagingOptions(InProcessPagingHost.DOMID, dir.resolve("pf7"), 0, 64, false, 7));
        int[] exit = {-1};
        Thread t = start(pager, exit);
        await("converged", () -> hv.totPages() == 256);
        InProcessPagingHost.Vcpu v = hv.new Vcpu(1);
        for (long g = 0; g < 1023; g++) {
            long gfn = g;
            v.access(gfn, true, page -> {
                assertEquals(-1, PageStamp.check(page, gfn, 0), "gfn " + gfn);
                PageStamp.write(page, gfn, 1);
            });
        }
        assertTrue(v.faults > 0);
        pager.requestShutdown();
        t.join();
        assertEquals(0, exit[0]);
        for (long g = 0; g < 1023; g++) assertEquals(-1, PageStamp.check(hv.mem.frame(g), g, 1), "gfn " + g);
    }

    /**
     * Issue 16: a raised target and SIGTERM page in the same way: batches of {@value XenPaging#PAGEIN_BATCH} gfns
     * (one loadAll each, one multicall over the wire) with no poll-timeout wait between them (the 100 ms wait per batch
     * made the SIGTERM page-in 623 pages/s). Counted, not timed: every batch's size, and the pager's poll waits seen at
     * each batch.
     */
    @Test void raisedTargetAndSigtermPageInFullBatchesWithNoPollWaitBetween() throws Exception {
        String key = "/local/domain/" + InProcessPagingHost.DOMID + "/memory/target-tot_pages";
        long target = 1024, out = FRAMES - 1 - target;
        hv.xsWrite(key, String.valueOf(target * 4));
        InProcessPagingHost.Pager conn = hv.newPagerConnection();
        List<long[]> batches = new java.util.concurrent.CopyOnWriteArrayList<>(); // {gfns, pollWaits before the batch}
        XenPaging[] pager = new XenPaging[1];
        PagingHost counting = (PagingHost) java.lang.reflect.Proxy.newProxyInstance(PagingHost.class.getClassLoader(), new Class<?>[] {PagingHost.class},
                (proxy, m, args) -> {
                    if (m.getName().equals("loadAll")) batches.add(new long[] {((long[]) args[1]).length, pager[0].pollWaits()});
                    try {
                        return m.invoke(conn, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        pager[0] = new XenPaging(counting, new XenPagingOptions(InProcessPagingHost.DOMID, dir.resolve("pfb"), 0, 64, false));
        int[] exit = {-1};
        Thread t = start(pager[0], exit);
        for (String how : new String[] {"target raised", "SIGTERM"}) {
            await("paged down", () -> pager[0].numPagedOut() == out);
            assertEquals(target, hv.totPages());
            batches.clear();
            if (how.equals("SIGTERM")) {
                pager[0].requestShutdown();
                t.join();
                assertEquals(0, exit[0]);
            } else {
                hv.xsWrite(key, String.valueOf(FRAMES * 4));
                await("paged in", () -> pager[0].numPagedOut() == 0);
            }
            assertEquals(FRAMES - 1, hv.totPages(), how);
            assertEquals(out, batches.stream().mapToLong(b -> b[0]).sum(), how + ": every page came in through a batch");
            assertEquals((out + XenPaging.PAGEIN_BATCH - 1) / XenPaging.PAGEIN_BATCH, batches.size(), how + ": full batches");
            for (long[] b : batches.subList(0, batches.size() - 1)) assertEquals(XenPaging.PAGEIN_BATCH, b[0], how);
            assertEquals(1, batches.stream().mapToLong(b -> b[1]).distinct().count(), how + ": no poll-timeout wait between batches");
            hv.xsWrite(key, String.valueOf(target * 4));
        }
    }

    @Test void pagerExitsAndDropsItsPagefileWhenTheDomainIsDestroyed() throws Exception {
        hv.xsWrite("/local/domain/" + InProcessPagingHost.DOMID + "/memory/target-tot_pages", String.valueOf(1024 * 4));
        Path pagefile = dir.resolve("pfd");
        XenPaging pager = new XenPaging(hv.newPagerConnection(), new XenPagingOptions(InProcessPagingHost.DOMID, pagefile, 0, 64, false));
        int[] exit = {-1};
        Thread t = start(pager, exit);
        await("converged", () -> hv.totPages() == 1024);
        assertTrue(Files.exists(pagefile));
        assertTrue(hv.onDispatch(() -> hv.core.domains().destroy(InProcessPagingHost.DOMID)));
        t.join();
        assertEquals(0, exit[0]);
        assertFalse(Files.exists(pagefile), "nothing to recover for a destroyed domain");
        assertFalse(Files.exists(dir.resolve("dom" + InProcessPagingHost.DOMID + ".vmring")), "the hypervisor closed the ring");
    }
}
