package org.fallow.guest.it;

import org.fallow.abi.AbiProfile;
import org.fallow.guest.GuestClock;
import org.fallow.guest.GuestSystem;
import org.fallow.guest.GuestTunables;
import org.fallow.guest.hv.PhysMemFault;
import org.fallow.guest.hv.GuestMemoryPhysMem;
import org.fallow.guest.workload.Workload;
import org.fallow.hypervisor.core.Domain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed 003's scenario from the guest's side: a maxmem = 2 × memory PoD guest whose start-of-day scrubber touches all of
 * its memory, then whose balloon driver inflates by (maxmem − target) on the first memory/target event, survives its
 * workload; without a balloon driver the same guest is crashed once it dirties more than the PoD cache.
 */
class PodBootTest {
    static final long MAX = 8192, TARGET = 4096; // 32 MiB maxmem, 16 MiB memory

    @Test @Timeout(120)
    void scrubbingPodGuestWithBalloonSurvives(@TempDir Path dir) throws Exception {
        try (HvBed bed = new HvBed(dir, 16384)) {
            HvBed.Dom d = bed.createPod(MAX, TARGET);
            try (GuestMemoryPhysMem mem = bed.physMem(d.domid())) {
                GuestTunables t = GuestTunables.defaults().cleancache(false).frontswap(false);
                GuestClock clock = new GuestClock.Simulated();
                GuestSystem g = new GuestSystem(mem, bed.hypercaller(d.domid(), AbiProfile.XEN_4_12), t, clock,
                        new GuestSystem.BootOptions(true, true, 0, AbiProfile.XEN_4_12, 2)); // scrub on 2 vCPUs
                assertEquals(MAX - 0x20, g.scrubbedPages(), "the scrubber touched every RAM frame");
                g.balloon().staticMaxPages(MAX);
                g.balloon().onXenstoreTarget(TARGET * 4 - 1024, clock.nowMs()); // libxl: target minus the 1 MiB fudge
                g.settleBalloon(10_000);
                assertEquals(TARGET - 256 - 0x20, g.kernel().currentPages());
                assertTrue(bed.totPages(d.domid()) <= TARGET, "tot_pages within the PoD target: " + bed.totPages(d.domid()));
                Workload w = Workload.byName("kbuild", g.kernel().maxPfn(), 40_000);
                g.run(w, new SplittableRandom(3), 0, 0, null);
                assertEquals(Domain.State.RUNNING, bed.domain(d.domid()).state());
                assertEquals(0, g.kernel().stats().dataErrors);
                assertTrue(w.ops() >= 40_000);
            }
        }
    }

    @Test @Timeout(120)
    void podGuestWithoutBalloonIsCrashedWhenItDirtiesMoreThanTheCache(@TempDir Path dir) throws Exception {
        try (HvBed bed = new HvBed(dir, 16384)) {
            HvBed.Dom d = bed.createPod(MAX, TARGET);
            try (GuestMemoryPhysMem mem = bed.physMem(d.domid())) {
                GuestTunables t = GuestTunables.defaults().cleancache(false).frontswap(false).balloon(false);
                GuestSystem g = new GuestSystem(mem, bed.hypercaller(d.domid(), AbiProfile.XEN_4_12), t,
                        new GuestClock.Simulated(), new GuestSystem.BootOptions(true, false, 0, AbiProfile.XEN_4_12));
                Workload w = Workload.byName("anon-grow", g.kernel().maxPfn(), 1_000_000);
                assertThrows(PhysMemFault.class, () -> g.run(w, new SplittableRandom(3), 0, 0, null));
                assertEquals(Domain.State.CRASHED, bed.domain(d.domid()).state());
                assertTrue(bed.domain(d.domid()).crashReason().contains("PoD"), bed.domain(d.domid()).crashReason());
            }
        }
    }
}
