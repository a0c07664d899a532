package org.fallow.guest.balloon;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SelfBalloonMathTest {
    @Test void goalAddsFrontswapOnlyWhenSelfshrinking() {
        assertEquals(1000 + 50 + (10 << 8) + 77, SelfBalloonMath.goal(1000, 50, 10, 77, true));
        assertEquals(1000 + 50 + (10 << 8), SelfBalloonMath.goal(1000, 50, 10, 77, false));
    }

    @Test void downClosesAnEighthUpJumps() {
        assertEquals(10000 - (10000 - 2000) / 8, SelfBalloonMath.step(10000, 2000, 8, 1));
        assertEquals(9000, SelfBalloonMath.step(2000, 9000, 8, 1));
        assertEquals(2000 + 7000 / 2, SelfBalloonMath.step(2000, 9000, 8, 2));
        assertEquals(5000, SelfBalloonMath.step(5000, 5000, 8, 1));
    }

    /** §4.2: with downhysteresis 8, half the gap is closed in ≈5.2 steps and 90 % in ≈17.2 steps. */
    @Test void shrinkDynamicsMatchReference() {
        long gap0 = 1_000_000, cur = 2_000_000, goal = cur - gap0;
        int half = -1, ninety = -1;
        for (int i = 1; i <= 40; i++) {
            cur = SelfBalloonMath.step(cur, goal, 8, 1);
            if (half < 0 && cur - goal <= gap0 / 2) half = i;
            if (ninety < 0 && cur - goal <= gap0 / 10) ninety = i;
        }
        assertEquals(6, half);    // ceil(5.2)
        assertEquals(18, ninety); // ceil(17.2)
    }

    @Test void balloonTargetConvertsTotalramToCurrentPages() {
        // floor wins, then + (current_pages - totalram) = kernel frames outside totalram
        assertEquals(3000 + 500, SelfBalloonMath.balloonTarget(2000, 3000, 10500, 10000));
        assertEquals(4000 + 500, SelfBalloonMath.balloonTarget(4000, 3000, 10500, 10000));
    }
}
