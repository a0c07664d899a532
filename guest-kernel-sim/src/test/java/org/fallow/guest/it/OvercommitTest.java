package org.fallow.guest.it;

import org.fallow.abi.AbiProfile;
import org.fallow.guest.GuestClock;
import org.fallow.guest.GuestSystem;
import org.fallow.guest.GuestTunables;
import org.fallow.guest.hv.GuestMemoryPhysMem;
import org.fallow.guest.workload.AnonGrowWorkload;
import org.fallow.guest.workload.Workload;
import org.fallow.hypervisor.core.Domain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Four guests whose maxmem adds up to 112 MiB on a 64 MiB host run their workloads at once: two PoD guests (one
 * scrubbing at boot), a cleancache + selfballoon guest and a frontswap guest. All finish, none crashes, no page is
 * ever corrupted, tmem serves hits, frontswap holds pages, and the host never hands out more than it has.
 */
class OvercommitTest {
    static final long HOST = 16384;

    record Spec(String name, long max, long mem, boolean pod, boolean scrub, GuestTunables t, Workload w) {}

    @Test @Timeout(300)
    void guestsWhoseMemoryExceedsTheHostAllFinish(@TempDir Path dir) throws Exception {
        List<Spec> specs = List.of(
                new Spec("pod-scrub-kbuild", 8192, 3072, true, true,
                        GuestTunables.defaults().cleancache(false).frontswap(false), Workload.byName("kbuild", 8192, 30_000)),
                new Spec("pod-zipf-cleancache", 8192, 3072, true, false,
                        GuestTunables.defaults().cleancache(true).frontswap(false), Workload.byName("zipf-files", 8192, 40_000)),
                new Spec("selfballoon-zipf", 8192, 4096, false, false,
                        GuestTunables.defaults().cleancache(true).frontswap(true).selfballooning(true)
                                .frontswapSelfshrinking(true).selfballoonIntervalSec(1),
                        Workload.byName("zipf-files", 8192, 40_000)),
                new Spec("frontswap-anon", 4096, 2048, false, false,
                        GuestTunables.defaults().cleancache(false).frontswap(true).frontswapSelfshrinking(true)
                                .selfballoonIntervalSec(1),
                        new AnonGrowWorkload(3000, 1, 1500, Long.MAX_VALUE)));
        long sumMax = specs.stream().mapToLong(Spec::max).sum();
        assertTrue(sumMax > HOST, "overcommitted: " + sumMax + " pages of guests on " + HOST);
        try (HvBed bed = new HvBed(dir, HOST)) {
            List<HvBed.Dom> doms = new ArrayList<>();
            List<GuestMemoryPhysMem> mems = new ArrayList<>();
            List<GuestSystem> guests = new ArrayList<>();
            for (Spec s : specs) {
                HvBed.Dom d = s.pod() ? bed.createPod(s.max(), s.mem()) : bed.createPlain(s.max(), s.mem());
                GuestMemoryPhysMem m = bed.physMem(d.domid());
                GuestSystem g = new GuestSystem(m, bed.hypercaller(d.domid(), AbiProfile.XEN_4_12), s.t(),
                        new GuestClock.Simulated(), new GuestSystem.BootOptions(true, s.scrub(), 0, AbiProfile.XEN_4_12));
                if (s.pod()) { // the first memory/target event: libxl writes target minus the 1 MiB fudge
                    g.balloon().staticMaxPages(s.max());
                    g.balloon().onXenstoreTarget(s.mem() * 4 - 1024, 0);
                    g.settleBalloon(10_000);
                }
                doms.add(d);
                mems.add(m);
                guests.add(g);
            }
            ExecutorService pool = Executors.newFixedThreadPool(specs.size());
            List<Future<?>> runs = new ArrayList<>();
            for (int i = 0; i < specs.size(); i++) {
                GuestSystem g = guests.get(i);
                Workload w = specs.get(i).w();
                long seed = i;
                runs.add(pool.submit(() -> g.run(w, new SplittableRandom(seed), 0, 0, null)));
            }
            for (Future<?> f : runs) f.get();
            pool.shutdown();
            long totSum = 0;
            for (int i = 0; i < specs.size(); i++) {
                GuestSystem g = guests.get(i);
                HvBed.Dom d = doms.get(i);
                String who = specs.get(i).name();
                assertEquals(Domain.State.RUNNING, bed.domain(d.domid()).state(), who);
                assertEquals(0, g.kernel().stats().dataErrors, who);
                assertEquals(0, g.kernel().stats().oomKills, who);
                long tot = bed.totPages(d.domid());
                assertTrue(tot > 0 && tot <= specs.get(i).max(), who + " tot_pages " + tot);
                totSum += tot;
            }
            assertTrue(totSum <= HOST, "the host never gave out more than it has: " + totSum);
            var cc = guests.get(1).kernel().cleancache();
            assertTrue(cc.succGets() > 0, "PoD cleancache guest hits tmem");
            var sb = guests.get(2);
            assertTrue(sb.kernel().cleancache().succGets() > 0, "selfballoon guest hits tmem");
            assertTrue(sb.selfballoon().ticks() > 0);
            long floor = sb.selfballoon().lastFloor();
            assertTrue(sb.selfballoon().lastTotalramTarget() >= floor, "selfballoon target respects the floor");
            assertTrue(guests.get(3).kernel().frontswap().succStores() > 0, "frontswap guest stored pages");
            for (GuestMemoryPhysMem m : mems) m.close();
        }
    }
}
