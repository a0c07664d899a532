package org.fallow.guest.balloon;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SelfShrinkTest {
    @Test void waitsInertiaQuietIntervalsThenShrinksByOneTwentieth() {
        SelfShrink s = new SelfShrink();
        s.resetCounter(3);
        assertEquals(-1, s.step(1000, 20, 3, true)); // grew from 0: reset
        assertEquals(-1, s.step(1000, 20, 3, true)); // quiet 1
        assertEquals(-1, s.step(1000, 20, 3, true)); // quiet 2
        assertEquals(1000 - 50, s.step(1000, 20, 3, true)); // quiet 3: shrink 5 %
        // v5.2 re-arms: the next shrink is 3 intervals later
        assertEquals(-1, s.step(950, 20, 3, true));
        assertEquals(-1, s.step(950, 20, 3, true));
        assertEquals(950 - 47, s.step(950, 20, 3, true));
    }

    @Test void oldKernelsShrinkEveryIntervalAfterTheFirstCountdown() {
        SelfShrink s = new SelfShrink();
        s.step(1000, 20, 3, false);
        s.step(1000, 20, 3, false);
        s.step(1000, 20, 3, false);
        assertEquals(1000 - 50, s.step(1000, 20, 3, false));
        assertEquals(950 - 47, s.step(950, 20, 3, false));
        assertEquals(903 - 45, s.step(903, 20, 3, false));
    }

    @Test void growthResetsAndSmallRemaindersGoEntirely() {
        SelfShrink s = new SelfShrink();
        s.step(10, 20, 1, true);
        assertEquals(0, s.step(10, 20, 1, true)); // ≤ hysteresis pages: all of them
        assertEquals(-1, s.step(30, 20, 1, true)); // grew: reset
        assertEquals(-1, s.step(0, 20, 1, true)); // empty
    }
}
