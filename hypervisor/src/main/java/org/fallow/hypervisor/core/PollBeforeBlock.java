package org.fallow.hypervisor.core;

import io.netty.channel.SelectStrategy;
import io.netty.util.IntSupplier;
import org.fallow.abi.sys.SpinPolicy;

/**
 * The dispatch event loop's wait: with nothing queued, it polls epoll without blocking (Netty's select-now supplier,
 * which fills the loop's ready list) for up to the policy's window before blocking in epoll_wait, when
 * {@link SpinPolicy#mayPoll} says a poll is worth a CPU (two or more CPUs for this thread, none of them wanted by a
 * waiting task). A guest's next request usually comes within a few microseconds of our reply; blocking would let this
 * vCPU halt and pay the host's wake-up (~60 µs on this VM) for it.
 * <p>
 * Bounds: one poll at most every loop iteration, none while tasks are queued (Netty's own select-now then), and a task
 * another thread submits during a poll waits at most the window (Netty skips its eventfd wake-up while the loop is
 * awake). {@link #polls}/{@link #pollHits} count for the bench and tests.
 */
final class PollBeforeBlock implements SelectStrategy {
    private final SpinPolicy policy;
    private long polls, pollHits;
    /** Waits left that block at once: after a window passed with nothing, the next {@link SpinPolicy#WAITS_SKIPPED_AFTER_MISS} do. */
    private int skip;

    PollBeforeBlock(SpinPolicy policy) { this.policy = policy; }

    @Override
    public int calculateStrategy(IntSupplier selectNow, boolean hasTasks) throws Exception {
        if (hasTasks) return selectNow.get();
        if (skip > 0) {
            skip--;
            return SelectStrategy.SELECT;
        }
        long start = System.nanoTime();
        if (!policy.mayPoll(start)) return SelectStrategy.SELECT;
        polls++;
        long deadline = start + policy.windowNanos();
        do {
            int ready = selectNow.get();
            if (ready > 0) {
                pollHits++;
                return ready;
            }
            Thread.onSpinWait();
        } while (System.nanoTime() - deadline < 0);
        skip = SpinPolicy.WAITS_SKIPPED_AFTER_MISS;
        return SelectStrategy.SELECT;
    }

    long polls() { return polls; }

    long pollHits() { return pollHits; }
}
