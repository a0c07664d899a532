package org.fallow.guest;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.guest.hv.Hypercaller;
import org.fallow.guest.hv.SegmentPhysMem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** balloon_wait_finish: boot waits for the initial balloon-down, through backoffs, and gives up after boot_timeout. */
class BootBalloonWaitTest {
    /** A hypervisor stand-in that completes {@code grant} extents of each reservation call (tmem absent: -ENOSYS). */
    static Hypercaller reservations(SegmentPhysMem mem, long[] grant) {
        return (op, a0, a1, a2, a3, a4) -> {
            if (op != Hypercalls.MEMORY_OP) return -38;
            long nr = mem.readLong(a1 + 8);
            return Math.min(nr, grant[0]);
        };
    }

    @Test @Timeout(30) void waitsThroughBackoffsUntilTheTargetIsReached() {
        SegmentPhysMem mem = SegmentPhysMem.allocate(Arena.ofAuto(), 4096);
        long[] grant = {0};
        GuestClock.Simulated clock = new GuestClock.Simulated();
        GuestTunables t = GuestTunables.defaults().cleancache(false).frontswap(false).maxRetryCount(0);
        GuestSystem g = new GuestSystem(mem, reservations(mem, grant), t, clock,
                new GuestSystem.BootOptions(true, false, 0, AbiProfile.XEN_4_12));
        g.balloon().setTarget(2000, 0);
        // the hypervisor takes nothing at first: the worker backs off (2, 4, 8 ... s of guest time)
        assertFalse(g.bootBalloonWait(10_000), "not done within 10 s");
        assertTrue(g.balloon().eagains() >= 2);
        grant[0] = Long.MAX_VALUE;
        assertTrue(g.bootBalloonWait(180_000));
        assertEquals(2000, g.kernel().currentPages());
    }

    @Test @Timeout(30) void givesUpAfterBootTimeoutWhenBallooningWasCanceled() {
        SegmentPhysMem mem = SegmentPhysMem.allocate(Arena.ofAuto(), 4096);
        long[] grant = {0};
        GuestClock.Simulated clock = new GuestClock.Simulated();
        GuestTunables t = GuestTunables.defaults().cleancache(false).frontswap(false);
        GuestSystem g = new GuestSystem(mem, reservations(mem, grant), t, clock,
                new GuestSystem.BootOptions(true, false, 0, AbiProfile.XEN_4_12));
        g.balloon().setTarget(2000, 0);
        assertFalse(g.bootBalloonWait(180_000));
        assertTrue(clock.nowMs() >= 180_000, "waited the whole boot_timeout: " + clock.nowMs());
        assertEquals(1, g.balloon().cancels());
        assertEquals(4096 - 0, g.kernel().currentPages());
    }
}
