package org.fallow.abi.sys;

/**
 * One waiter's poll before it blocks, as its {@link SpinPolicy} allows: {@link #poll} tries the non-blocking attempt
 * until it reports something or the window has passed; after a miss (a whole window with nothing) the next
 * {@link SpinPolicy#WAITS_SKIPPED_AFTER_MISS} polls return at once. Not thread-safe: one per waiter (a loop, a socket
 * read one thread at a time). Used by the hypervisor's event loop, the client's reply read and bench rtt's polling floor.
 */
public final class Poller {
    /** One non-blocking try: non-zero when the wait is over (a count, or -1 for end of stream), 0 for nothing yet. */
    public interface Attempt<E extends Exception> {
        int tryOnce() throws E;
    }

    private final SpinPolicy policy;
    /** Polls left that return at once, after a miss. */
    private int skip;
    private long polls, hits;

    public Poller(SpinPolicy policy) { this.policy = policy; }

    /** The first non-zero result of {@code attempt} within the window, or 0 (also when not polling now): then block. */
    public <E extends Exception> int poll(Attempt<E> attempt) throws E {
        if (skip > 0) {
            skip--;
            return 0;
        }
        long start = System.nanoTime();
        if (!policy.mayPoll(start)) return 0;
        polls++;
        long deadline = start + policy.windowNanos();
        do {
            int n = attempt.tryOnce();
            if (n != 0) {
                hits++;
                return n;
            }
            Thread.onSpinWait();
        } while (System.nanoTime() - deadline < 0);
        skip = SpinPolicy.WAITS_SKIPPED_AFTER_MISS;
        return 0;
    }

    /** Polls made (skipped and refused ones not counted). */
    public long polls() { return polls; }

    /** Polls that found something within their window. */
    public long hits() { return hits; }
}
