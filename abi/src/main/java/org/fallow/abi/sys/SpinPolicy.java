package org.fallow.abi.sys;

/**
 * Whether, and for how long, a thread about to block for its peer polls first (see {@link LoadGatedSpin}, the
 * machine's policy). A wait that may poll calls {@link #mayPoll} once, then polls without blocking until its event
 * comes or {@link #windowNanos} have passed, then blocks.
 */
public interface SpinPolicy {
    /**
     * After a poll whose whole window passed with nothing to read, this many of the waiter's next waits block at
     * once (as KVM shrinks halt-polling after a miss): a peer that answers slowly (a pager writing pages out) is not
     * polled for every time, and each miss costs at most one window in {@code 1 + WAITS_SKIPPED_AFTER_MISS} waits.
     */
    int WAITS_SKIPPED_AFTER_MISS = 8;

    /** True if a wait starting at {@code now} ({@link System#nanoTime()}) may poll before it blocks. */
    boolean mayPoll(long now);

    /** The longest a wait polls. */
    long windowNanos();

    /** The machine's policy: two or more CPUs for this thread and none wanted by a waiting task; {@code -Dfallow.spinMicros}. */
    static SpinPolicy system() { return LoadGatedSpin.INSTANCE; }

    /** Never polls. */
    SpinPolicy NEVER = fixed(false, 0);

    /** Polls for up to {@code windowNanos} whenever allowed is true (tests). */
    static SpinPolicy fixed(boolean allowed, long windowNanos) {
        return new SpinPolicy() {
            @Override public boolean mayPoll(long now) { return allowed && windowNanos > 0; }

            @Override public long windowNanos() { return windowNanos; }
        };
    }
}
