package org.fallow.hypervisor.core;

import io.netty.channel.SelectStrategy;
import io.netty.util.IntSupplier;
import org.fallow.abi.sys.Poller;
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
 * awake); after a miss the next waits block at once ({@link Poller}). {@link #polls}/{@link #pollHits} count for tests.
 */
final class PollBeforeBlock implements SelectStrategy {
    private final Poller poller;

    PollBeforeBlock(SpinPolicy policy) { this.poller = new Poller(policy); }

    @Override
    public int calculateStrategy(IntSupplier selectNow, boolean hasTasks) throws Exception {
        if (hasTasks) return selectNow.get();
        int ready = poller.poll(selectNow::get);
        return ready > 0 ? ready : SelectStrategy.SELECT;
    }

    long polls() { return poller.polls(); }

    long pollHits() { return poller.hits(); }
}
