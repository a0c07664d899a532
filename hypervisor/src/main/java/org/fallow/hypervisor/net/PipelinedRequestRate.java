package org.fallow.hypervisor.net;

/**
 * A token bucket of one connection's <em>pipelined</em> requests (PROTOCOL §9.1.2): requests read while the same
 * connection already has one in flight. A client that waits for each answer is limited by its round trip and never
 * takes a token; one that keeps a window of requests in flight may send {@code burst} at once and {@code perSecond}
 * a second beyond that (ServerLimits#pipelinedPerSecond, #pipelinedBurst). Past it the connection is not read until the bucket is back to zero (its frames wait in its
 * socket, its own writes block): nothing is dropped, reordered or failed. Only applied while other connections are
 * open (ConnectionHandler). Tokens are kept in units of 1/{@code perSecond} ns so that the arithmetic is exact
 * integers; the clock is passed in (System.nanoTime on the dispatch thread, a counter in tests). Not thread-safe.
 */
final class PipelinedRequestRate {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final long perSecond;
    private final long burst;
    /** Tokens × 10^9 (one token = NANOS_PER_SECOND units; one ns of refill adds perSecond units). Negative: debt. */
    private long units;
    private long refilledAt;

    PipelinedRequestRate(long perSecond, long burst, long now) {
        if (perSecond < 1 || burst < 1) throw new IllegalArgumentException("rate " + perSecond + "/s, burst " + burst);
        this.perSecond = perSecond;
        this.burst = burst;
        this.units = burst * NANOS_PER_SECOND;
        this.refilledAt = now;
    }

    /** One pipelined request was read at {@code now}: takes a token (the bucket may go into debt). */
    void take(long now) {
        refill(now);
        units -= NANOS_PER_SECOND;
    }

    /** Nanoseconds from {@code now} until the bucket is out of debt (0: it may be read). */
    long waitNanos(long now) {
        refill(now);
        return units >= 0 ? 0 : (-units + perSecond - 1) / perSecond;
    }

    /** Whole tokens left (negative: requests taken beyond the bucket). */
    long tokens(long now) {
        refill(now);
        return Math.floorDiv(units, NANOS_PER_SECOND);
    }

    private void refill(long now) {
        long elapsed = now - refilledAt;
        if (elapsed <= 0) return; // a clock that did not move (or went back) adds nothing
        refilledAt = now;
        long capacity = burst * NANOS_PER_SECOND;
        // bound the elapsed time before multiplying: beyond the time to fill an empty bucket from its deepest debt it
        // adds nothing more, and the product cannot overflow
        long fill = (capacity - Math.min(units, capacity) + perSecond - 1) / perSecond;
        units = Math.min(capacity, units + Math.min(elapsed, fill) * perSecond);
    }
}
