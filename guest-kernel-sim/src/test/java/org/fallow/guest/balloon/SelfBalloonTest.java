package org.fallow.guest.balloon;

import org.fallow.guest.GuestTunables;
import org.fallow.guest.hv.SegmentPhysMem;
import org.fallow.guest.mm.GuestKernel;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The selfballoon worker driving the balloon driver (a hypervisor that grants every reservation call). */
class SelfBalloonTest {
    private final GuestKernel k = new GuestKernel(SegmentPhysMem.allocate(Arena.ofAuto(), 32768), 600); // 128 MiB
    private final BalloonDriverTest.ScriptedMemoryOps ops = new BalloonDriverTest.ScriptedMemoryOps();
    private final GuestTunables t = GuestTunables.defaults().selfballooning(true).selfballoonIntervalSec(5);
    private final BalloonDriver b = new BalloonDriver(k, ops, t, false);

    private void settle(long now) {
        for (int i = 0; i < 1000 && b.nextRunMs() >= 0 && b.nextRunMs() <= now; i++) b.process(now);
    }

    @Test void shrinksAnEighthOfTheGapPerIntervalDownToTheFloorThenJumpsUp() {
        SelfBalloon sb = new SelfBalloon(k, b, t, 0);
        assertEquals((k.totalRamPages() / 10) >> 8, t.selfballoonReservedMb(), "reserved_mb defaults to totalram/10");
        long floor = MinUsableFloor.floorPages(k.maxPfn(), k.totalReservePages(), 0);
        long now = 0;
        assertTrue(!sb.process(now + 4999), "first run one interval after start");
        long prev = k.totalRamPages();
        int steps = 0;
        while (steps < 200) {
            now += 5000;
            assertTrue(sb.process(now));
            settle(now);
            long goal = k.committedPages() + k.totalReservePages() + ((long) t.selfballoonReservedMb() << 8);
            long expect = Math.max(prev > goal ? prev - (prev - goal) / 8 : prev, floor);
            assertEquals(expect, k.totalRamPages(), "step " + steps);
            assertEquals(goal, sb.lastGoal());
            if (k.totalRamPages() == prev) break;
            prev = k.totalRamPages();
            steps++;
        }
        assertEquals(Math.max(floor, sb.lastGoal()), k.totalRamPages(), "settles at max(goal, floor)");
        assertTrue(steps > 5, "took several hysteresis steps: " + steps);
        // committed memory grows: the next interval jumps straight to the new goal (uphysteresis 1)
        var p = k.spawn();
        k.resize(p, 20000);
        now += 5000;
        sb.process(now);
        settle(now);
        assertEquals(k.committedPages() + k.totalReservePages() + ((long) t.selfballoonReservedMb() << 8), k.totalRamPages());
    }

    @Test void minUsableMbOverridesTheFloorAndDisablingStopsTheWorker() {
        t.selfballoonMinUsableMb(100);
        SelfBalloon sb = new SelfBalloon(k, b, t, 0);
        for (long now = 5000; now <= 5000 * 100; now += 5000) {
            sb.process(now);
            settle(now);
        }
        assertEquals(k.totalReservePages() + (100 << 8), k.totalRamPages());
        t.selfballooning(false);
        long ticks = sb.ticks();
        assertTrue(!sb.process(10_000_000));
        assertEquals(ticks, sb.ticks());
    }
}
