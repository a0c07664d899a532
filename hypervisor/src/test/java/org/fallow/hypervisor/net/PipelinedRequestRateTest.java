package org.fallow.hypervisor.net;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The pipelined-request bucket on a clock the test moves by hand (no timing). */
class PipelinedRequestRateTest {
    private static final long MS = 1_000_000L;

    @Test void aFullBucketLetsTheBurstThroughWithoutWaiting() {
        var rate = new PipelinedRequestRate(1000, 10, 0);
        for (int i = 0; i < 10; i++) rate.take(0);
        assertEquals(0, rate.tokens(0));
        assertEquals(0, rate.waitNanos(0));
    }

    @Test void debtMeansWaitingUntilTheTokensHaveComeBack() {
        var rate = new PipelinedRequestRate(1000, 10, 0); // one token per ms
        for (int i = 0; i < 13; i++) rate.take(0);
        assertEquals(-3, rate.tokens(0));
        assertEquals(3 * MS, rate.waitNanos(0));
        assertEquals(2 * MS, rate.waitNanos(MS));
        assertEquals(1, rate.waitNanos(3 * MS - 1));
        assertEquals(0, rate.waitNanos(3 * MS));
        assertEquals(0, rate.tokens(3 * MS));
    }

    @Test void refillIsExactForPartialTokensAndCappedAtTheBurst() {
        var rate = new PipelinedRequestRate(3, 2, 0); // a token every 333,333,333.3 ns
        rate.take(0);
        rate.take(0);
        rate.take(0);
        assertEquals(333_333_334, rate.waitNanos(0)); // rounded up: reading earlier would still be in debt
        assertEquals(0, rate.waitNanos(333_333_334));
        assertEquals(2, rate.tokens(3_600_000_000_000L)); // an hour later: full, not 10,800 tokens
        rate.take(3_600_000_000_000L);
        assertEquals(1, rate.tokens(3_600_000_000_000L));
    }

    @Test void aSteadyStreamAtTheRateNeverWaitsAndOneFasterFallsBehindByTheExcess() {
        var steady = new PipelinedRequestRate(1000, 5, 0);
        var fast = new PipelinedRequestRate(1000, 5, 0);
        for (long t = 0; t < 1000; t++) {
            steady.take(t * MS); // 1000/s: exactly the rate
            fast.take(t * MS);
            fast.take(t * MS); // 2000/s
        }
        assertEquals(0, steady.waitNanos(999 * MS));
        assertEquals(4, steady.tokens(999 * MS)); // the burst less the one just taken
        // 2000 taken, 5 + 999 refilled by then: 996 in debt, 996 ms to wait
        assertEquals(-996, fast.tokens(999 * MS));
        assertEquals(996 * MS, fast.waitNanos(999 * MS));
    }

    @Test void aClockThatGoesBackAddsNothing() {
        var rate = new PipelinedRequestRate(1000, 5, 10 * MS);
        for (int i = 0; i < 6; i++) rate.take(10 * MS);
        assertEquals(-1, rate.tokens(5 * MS));
        assertEquals(MS, rate.waitNanos(10 * MS));
    }

    @Test void refusesANonPositiveRateOrBurst() {
        assertThrows(IllegalArgumentException.class, () -> new PipelinedRequestRate(0, 5, 0));
        assertThrows(IllegalArgumentException.class, () -> new PipelinedRequestRate(5, 0, 0));
    }
}
