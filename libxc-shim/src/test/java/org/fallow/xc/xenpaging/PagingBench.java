package org.fallow.xc.xenpaging;

import org.fallow.abi.ring.BackRing;
import org.fallow.abi.ring.FrontRing;
import org.fallow.abi.ring.MemPagingEvent;
import org.fallow.abi.ring.SharedRing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Benchmarks (not tests; nothing is asserted about speed). Run with
 * {@code mvn -B -q -pl libxc-shim -am test -Dtest=PagingBench -Dsurefire.failIfNoSpecifiedTests=false -Dfallow.bench=true}.
 * Figures go to docs/BENCHMARKS.md ## paging. The over-the-wire page-in benchmark is guest-kernel-sim's PagingWireBench.
 */
@EnabledIfSystemProperty(named = "fallow.bench", matches = "true")
class PagingBench {
    /** In-process front/back ring between two threads spinning on the shared indices (no event channel). */
    @Test void ringEventsPerSecond() {
        for (int window : new int[] {1, 8}) {
            double best = 0;
            for (int run = 0; run < 3; run++) best = Math.max(best, ringRun(window, 1_000_000));
            System.out.printf("paging-bench ring window=%d: %.0f request+response events/s%n", window, best);
        }
    }

    private static double ringRun(int window, int events) {
        MemorySegment page = Arena.ofShared().allocate(4096, 4096);
        SharedRing sring = new SharedRing(page, MemPagingEvent.SIZE);
        sring.init();
        FrontRing front = new FrontRing(sring);
        BackRing back = new BackRing(sring);
        AtomicBoolean stop = new AtomicBoolean();
        Thread backend = new Thread(() -> {
            MemorySegment e = Arena.ofAuto().allocate(MemPagingEvent.SIZE, 8);
            MemPagingEvent ev = new MemPagingEvent().wrap(e);
            while (!stop.get()) {
                int n = 0;
                while (back.takeRequest(e)) {
                    ev.version(4);
                    back.putResponse(e);
                    n++;
                }
                if (n > 0) back.pushResponses();
                else Thread.onSpinWait();
            }
        }, "ring-back");
        backend.start();
        MemorySegment req = Arena.ofAuto().allocate(MemPagingEvent.SIZE, 8);
        MemPagingEvent ev = new MemPagingEvent().wrap(req).clear().version(4).reason(3);
        long t0 = System.nanoTime();
        int sent = 0, got = 0, inflight = 0;
        while (got < events) {
            while (inflight < window && sent < events && !front.full()) {
                front.putRequest(ev.gfn(sent).segment());
                sent++;
                inflight++;
            }
            front.pushRequests();
            while (front.takeResponse(req)) { got++; inflight--; }
            if (inflight == window) Thread.onSpinWait();
        }
        long t1 = System.nanoTime();
        stop.set(true);
        try { backend.join(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        return events / ((t1 - t0) / 1e9);
    }

    /** Guest vcpus touching paged-out pages, served by xenpaging through the ring (all in one JVM). */
    @Test void pageInsPerSecondInProcess() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "flb");
        int frames = 8192;
        InProcessPagingHost hv = new InProcessPagingHost(dir, frames, 4, frames - 1);
        try {
            String key = "/local/domain/" + InProcessPagingHost.DOMID + "/memory/target-tot_pages";
            long target = frames / 4;                            // actmem = 1/4 of 32 MiB
            hv.xsWrite(key, String.valueOf(target * 4));           // KiB
            InProcessPagingHost.Pager conn = hv.newPagerConnection();
            XenPaging pager = new XenPaging(conn, new XenPagingOptions(InProcessPagingHost.DOMID, dir.resolve("pf"), 0, 64, false));
            Thread t = new Thread(pager::run, "xenpaging");
            t.start();
            while (hv.totPages() > target + 8) Thread.sleep(5);
            for (int vcpus : new int[] {1, 4}) {
                Thread[] ts = new Thread[vcpus];
                long[] faults = new long[vcpus];
                long t0 = System.nanoTime();
                for (int v = 0; v < vcpus; v++) {
                    int id = v;
                    ts[v] = new Thread(() -> {
                        InProcessPagingHost.Vcpu c = hv.new Vcpu(id);
                        for (long g = 1 + id; g < frames - 1; g += vcpus) c.access(g, false, p -> {});
                        faults[id] = c.faults;
                    });
                    ts[v].start();
                }
                long total = 0;
                for (int v = 0; v < vcpus; v++) { ts[v].join(); total += faults[v]; }
                double secs = (System.nanoTime() - t0) / 1e9;
                System.out.printf("paging-bench in-process page-ins vcpus=%d: %d faults in %.2f s = %.0f page-ins/s (target %d of %d pages)%n",
                        vcpus, total, secs, total / secs, target, frames);
            }
            pager.requestShutdown();
            t.join();
        } finally {
            hv.close();
            try (var s = Files.walk(dir)) { s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete()); }
        }
    }
}
