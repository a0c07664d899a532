package org.fallow.hypervisor.core;

import java.util.function.LongSupplier;

/**
 * Xen's {@code hypercall_preempt_check()} for the emulator's one "physical CPU": a request run by the
 * {@link Scheduler} gets a slice ({@link #sliceNanos}, default 100 µs, system property {@code fallow.sliceMicros});
 * once it is used up, {@link #check} answers true and a long handler yields with a continuation. Outside a scheduler
 * slice (in-process callers, tests calling {@code dispatch} directly) it never asks to yield, so those callers see a
 * hypercall run to completion in one go.
 * <p>
 * A check reads the clock (~26 ns here), which a multicall of 64 tmem puts did 63 times (~1.6 µs of a ~30 µs
 * multicall): after a reading that came at most 1/{@link #FAST_FRACTION} of a slice after the previous one, the next
 * {@link #FAST_SKIP} checks answer false without reading it. While the units of work stay that fast a slice overruns
 * by at most that many of them (a few µs); a unit that suddenly takes longer is noticed up to that many units late;
 * slow units read the clock at every check, as before.
 * <p>
 * {@link #yieldEvery} makes the answer depend on the number of checks instead of the clock (tests of the continuation
 * paths, which must not depend on timing).
 */
public final class Preemption {
    /** Default slice: long enough that a slice's bookkeeping (one event-loop turn) is noise, short against a round trip p99. */
    public static final long DEFAULT_SLICE_NANOS = Long.getLong("fallow.sliceMicros", 100) * 1000;

    /** Checks that skip the clock after a reading that came fast (see the class comment). */
    static final int FAST_SKIP = 7;
    /** A reading at most 1/FAST_FRACTION of a slice after the previous one came fast. */
    static final int FAST_FRACTION = 16;

    private final LongSupplier clock;
    private long sliceNanos = DEFAULT_SLICE_NANOS;
    private boolean inSlice;
    private long sliceStart;
    private long lastReading;
    private int skip;
    private int everyChecks;
    private int checks;
    private long yields;

    public Preemption() { this(System::nanoTime); }

    /** With {@code clock} (ns) instead of {@link System#nanoTime} (tests). */
    Preemption(LongSupplier clock) { this.clock = clock; }

    /**
     * Starts a slice (the scheduler, before running a request). The clock is read at the first {@link #check}, not
     * here: most requests never check, and reading the clock is a measurable share of a null hypercall.
     */
    void begin() {
        inSlice = true;
        sliceStart = 0;
        checks = 0;
        skip = 0;
    }

    void end() { inSlice = false; }

    /** True if the running request should yield now. */
    public boolean check() {
        if (!inSlice) return false;
        boolean yield;
        if (everyChecks > 0) {
            yield = ++checks >= everyChecks;
        } else {
            if (skip > 0) {
                skip--;
                return false;
            }
            long now = clock.getAsLong();
            if (sliceStart == 0) sliceStart = now; // the slice's first reading: nothing known yet about the units
            else if (now - lastReading <= sliceNanos / FAST_FRACTION) skip = FAST_SKIP;
            lastReading = now;
            yield = now - sliceStart >= sliceNanos;
        }
        if (yield) yields++;
        return yield;
    }

    /** Slice length in nanoseconds (at least 1 µs). */
    public void sliceNanos(long n) { sliceNanos = Math.max(1000, n); }

    public long sliceNanos() { return sliceNanos; }

    /** Yield after every {@code n} checks instead of by time (0 = by time again). Call on the dispatch thread. */
    public void yieldEvery(int n) { everyChecks = Math.max(0, n); }

    /** How many times a handler was told to yield (statistics). */
    public long yields() { return yields; }
}
