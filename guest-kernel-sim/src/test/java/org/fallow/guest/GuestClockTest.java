package org.fallow.guest;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GuestClockTest {
    @Test void simulatedClockOnlyMovesForward() {
        GuestClock.Simulated c = new GuestClock.Simulated();
        c.advance(10);
        c.advanceTo(25);
        assertEquals(25, c.nowMs());
        c.advanceTo(5);
        assertEquals(25, c.nowMs());
    }

    @Test void scaledClockPacesUntilGuestTimePasses() {
        GuestClock.Scaled c = new GuestClock.Scaled(1000); // 1 ms wall = 1 s guest
        long target = c.nowMs() + 3000;
        c.advanceTo(target);
        assertTrue(c.nowMs() >= target);
        assertThrows(IllegalArgumentException.class, () -> new GuestClock.Scaled(0));
    }
}
