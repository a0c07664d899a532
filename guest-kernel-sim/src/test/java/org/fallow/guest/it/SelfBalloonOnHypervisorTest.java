package org.fallow.guest.it;

import org.fallow.abi.AbiProfile;
import org.fallow.guest.GuestClock;
import org.fallow.guest.GuestSystem;
import org.fallow.guest.GuestTunables;
import org.fallow.guest.balloon.MinUsableFloor;
import org.fallow.guest.hv.GuestMemoryPhysMem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Selfballooning against the real hypervisor: every interval totalram moves 1/8 of the way down to
 * Committed_AS + totalreserve + reserved_mb, stops at the floor, and the domain's tot_pages follows; when committed
 * memory grows, the next interval jumps up to the new goal.
 */
class SelfBalloonOnHypervisorTest {
    @Test @Timeout(120)
    void totalramFollowsTheSelfballoonStepsAndTotPagesFollowsTheGuest(@TempDir Path dir) throws Exception {
        try (HvBed bed = new HvBed(dir, 65536)) {
            HvBed.Dom d = bed.createPlain(32768, 32768); // 128 MiB, all populated
            try (GuestMemoryPhysMem mem = bed.physMem(d.domid())) {
                GuestTunables t = GuestTunables.defaults().cleancache(false).frontswap(false).selfballooning(true)
                        .selfballoonIntervalSec(5);
                GuestClock.Simulated clock = new GuestClock.Simulated();
                GuestSystem g = new GuestSystem(mem, bed.hypercaller(d.domid(), AbiProfile.XEN_4_12), t, clock,
                        new GuestSystem.BootOptions(true, false, 0, AbiProfile.XEN_4_12));
                var k = g.kernel();
                long floor = MinUsableFloor.floorPages(k.maxPfn(), k.totalReservePages(), 0);
                long goal = k.committedPages() + k.totalReservePages() + ((long) t.selfballoonReservedMb() << 8);
                assertTrue(goal < floor, "this guest's goal is below its floor");
                long prev = k.totalRamPages();
                int steps = 0;
                while (true) {
                    clock.advance(5000);
                    g.tick();
                    g.settleBalloon(1000);
                    long expect = Math.max(prev - (prev - goal) / 8, floor);
                    assertEquals(expect, k.totalRamPages(), "interval " + steps);
                    assertEquals(k.currentPages(), bed.totPages(d.domid()), "tot_pages follows the balloon");
                    if (expect == prev) break;
                    prev = expect;
                    steps++;
                }
                assertEquals(floor, k.totalRamPages());
                assertTrue(steps >= 5, "several 1/8 steps: " + steps);
                var p = k.spawn();
                k.resize(p, 20000);
                long newGoal = k.committedPages() + k.totalReservePages() + ((long) t.selfballoonReservedMb() << 8);
                clock.advance(5000);
                g.tick();
                g.settleBalloon(1000);
                assertEquals(newGoal, k.totalRamPages(), "uphysteresis 1: one jump to the goal");
                assertEquals(k.currentPages(), bed.totPages(d.domid()));
            }
        }
    }
}
