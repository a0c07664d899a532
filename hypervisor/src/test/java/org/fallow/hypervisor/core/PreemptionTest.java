package org.fallow.hypervisor.core;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Preemption#check} on a fake clock: each unit of work between two checks advances it by a given time. */
class PreemptionTest {
    private long now = 1_000_000;
    private int readings;

    private Preemption preemption() {
        Preemption p = new Preemption(() -> {
            readings++;
            return now;
        });
        p.sliceNanos(100_000);
        p.begin();
        return p;
    }

    /** Checks until one says yield, each after a unit of {@code unitNanos}; returns the number of checks. */
    private int checksUntilYield(Preemption p, long unitNanos) {
        for (int n = 1; n <= 100_000; n++) {
            if (p.check()) return n;
            now += unitNanos;
        }
        throw new AssertionError("never yielded");
    }

    @Test
    void slowUnitsReadTheClockAtEveryCheckAndYieldOnTime() {
        Preemption p = preemption();
        int n = checksUntilYield(p, 10_000); // 10 µs units, 100 µs slice
        assertEquals(11, n, "the 11th check, 100 µs after the first, yields");
        assertEquals(11, readings);
        assertEquals(1, p.yields());
    }

    @Test
    void fastUnitsSkipTheClockAndOverrunBySkippedUnitsAtMost() {
        Preemption p = preemption();
        int n = checksUntilYield(p, 350); // 0.35 µs units (a tmem put): 8 units are 2.8 µs, under 1/16 of the slice
        long exact = (100_000 + 349) / 350 + 1; // the first check 100 µs or more after the first one
        assertTrue(n >= exact && n <= exact + Preemption.FAST_SKIP, "yielded at check " + n + ", on time at " + exact);
        assertTrue(readings <= n / (Preemption.FAST_SKIP + 1) + 2, readings + " clock readings for " + n + " checks");
    }

    @Test
    void aSlowReadingAfterFastOnesStopsTheSkipping() {
        Preemption p = preemption();
        assertFalse(p.check()); // reading 1: the slice starts
        assertFalse(p.check()); // reading 2, at once after it: fast, so the next checks skip the clock
        for (int i = 0; i < Preemption.FAST_SKIP; i++) assertFalse(p.check());
        assertEquals(2, readings);
        now += 50_000; // a unit took half a slice
        assertFalse(p.check()); // reading 3: slow, so the next check reads again
        now += 60_000;
        assertTrue(p.check(), "the next check reads the clock and yields");
        assertEquals(4, readings);
    }

    @Test
    void outsideASliceItNeverYieldsNorReadsTheClock() {
        Preemption p = preemption();
        p.end();
        now += 1_000_000_000;
        assertFalse(p.check());
        assertEquals(0, readings);
    }

    @Test
    void aNewSliceReadsTheClockAtItsFirstCheck() {
        Preemption p = preemption();
        p.check(); // reading 1, then skipping
        p.end();
        p.begin();
        now += 200_000;
        assertFalse(p.check(), "a new slice starts at its first check");
        assertEquals(2, readings);
    }
}
