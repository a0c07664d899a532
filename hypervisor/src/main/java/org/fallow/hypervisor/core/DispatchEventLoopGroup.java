package org.fallow.hypervisor.core;

import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SingleThreadIoEventLoop;

import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;

/**
 * The dispatch loop's group: Netty's one-thread IO event loop group, whose loop blocks in {@code epoll_wait} without
 * a timeout while no task is scheduled on it. Netty 4.2's {@code SingleThreadEventExecutor.deadlineNanos()} answers
 * "now + 1 s" (its purge interval) when nothing is scheduled, a deadline that moves with the clock, so
 * {@code EpollIoHandler} gave every wait a timeout: {@code epoll_pwait2} with {@code {1 s}} on every request
 * ({@code strace}), a kernel timer armed and cancelled each time. On this VM that costs ~1 µs a round trip: a C
 * ping-pong pinned to one core took 9.3-10.5 µs with the server in {@code epoll_wait(-1)} and 10.5-11.8 µs in
 * {@code epoll_pwait2({1 s})} (five alternating runs each, 2026-12-03). Here the loop's deadline is its next scheduled
 * task's, or -1 ("nothing on the calendar", which the handler turns into {@code epoll_wait(-1)}) when there is none.
 * Tasks another thread schedules still wake the loop: Netty compares their deadline with the loop's next wake-up.
 */
final class DispatchEventLoopGroup extends MultiThreadIoEventLoopGroup {
    DispatchEventLoopGroup(ThreadFactory threads, IoHandlerFactory handlers) {
        super(1, threads, handlers);
    }

    @Override
    protected IoEventLoop newChild(Executor executor, IoHandlerFactory handlers, Object... args) {
        return new DispatchLoop(this, executor, handlers);
    }

    /** The loop: its deadline is its next scheduled task's, -1 if none. */
    static final class DispatchLoop extends SingleThreadIoEventLoop {
        DispatchLoop(DispatchEventLoopGroup group, Executor executor, IoHandlerFactory handlers) {
            super(group, executor, handlers);
        }

        @Override
        protected long deadlineNanos() { return nextScheduledTaskDeadlineNanos(); }

        /** {@link #deadlineNanos} for tests (call on the loop). */
        long deadline() { return deadlineNanos(); }
    }
}
