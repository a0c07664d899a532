package org.fallow.hypervisor.core;

import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dispatch loop, which waits without a timeout while nothing is scheduled ({@link DispatchEventLoopGroup}), still
 * wakes for work: a task or a scheduled task submitted by another thread while it sleeps, and a task it scheduled
 * itself; and its deadline is its next scheduled task's, -1 when there is none. (The bound of 10 s is only
 * against a hang; nothing here is timed.)
 */
class DispatchEventLoopGroupTest {
    private final DispatchEventLoopGroup group = new DispatchEventLoopGroup(new DefaultThreadFactory("test-dispatch", true),
            EpollIoHandler.newFactory());
    private final EventLoop loop = group.next();

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** Lets the loop start and go to sleep in epoll_wait with nothing to do. */
    private void idle() throws Exception {
        loop.submit(() -> { }).get(10, TimeUnit.SECONDS);
        Thread.sleep(50);
    }

    @Test
    void theDeadlineIsTheNextScheduledTasksOrNoneAtAll() throws Exception {
        DispatchEventLoopGroup.DispatchLoop l = (DispatchEventLoopGroup.DispatchLoop) loop;
        assertEquals(-1L, l.submit(l::deadline).get(10, TimeUnit.SECONDS), "nothing scheduled: Netty's 'nothing on the calendar'");
        var task = l.schedule(() -> { }, 1, TimeUnit.HOURS);
        long deadline = l.submit(l::deadline).get(10, TimeUnit.SECONDS);
        assertTrue(deadline > 0, "a scheduled task's deadline, not -1: " + deadline);
        task.cancel(false);
        assertEquals(-1L, l.submit(l::deadline).get(10, TimeUnit.SECONDS), "a cancelled task leaves the loop's queue");
    }

    @Test
    void aTaskFromAnotherThreadWakesTheSleepingLoop() throws Exception {
        idle();
        CountDownLatch ran = new CountDownLatch(1);
        loop.execute(ran::countDown);
        assertTrue(ran.await(10, TimeUnit.SECONDS));
    }

    @Test
    void aTaskScheduledFromAnotherThreadRunsWhileTheLoopSleeps() throws Exception {
        idle();
        CountDownLatch ran = new CountDownLatch(1);
        loop.schedule(ran::countDown, 20, TimeUnit.MILLISECONDS);
        assertTrue(ran.await(10, TimeUnit.SECONDS));
    }

    @Test
    void aTaskTheLoopSchedulesItselfRunsAndTheLoopSleepsAgainAfterIt() throws Exception {
        idle();
        CountDownLatch first = new CountDownLatch(1), second = new CountDownLatch(1);
        loop.execute(() -> loop.schedule(first::countDown, 20, TimeUnit.MILLISECONDS));
        assertTrue(first.await(10, TimeUnit.SECONDS));
        idle(); // nothing scheduled now: the loop waits without a timeout, and is woken again
        loop.execute(() -> loop.schedule(second::countDown, 1, TimeUnit.MILLISECONDS));
        assertTrue(second.await(10, TimeUnit.SECONDS));
    }

    @Test
    void aCancelledTaskDoesNotKeepAnEarlierOneFromRunning() throws Exception {
        idle();
        CountDownLatch ran = new CountDownLatch(1);
        var far = loop.schedule(() -> { }, 1, TimeUnit.HOURS);
        loop.schedule(ran::countDown, 20, TimeUnit.MILLISECONDS);
        far.cancel(false);
        assertTrue(ran.await(10, TimeUnit.SECONDS));
    }
}
