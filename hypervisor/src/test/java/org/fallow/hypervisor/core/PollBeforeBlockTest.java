package org.fallow.hypervisor.core;

import io.netty.channel.SelectStrategy;
import org.fallow.abi.sys.SpinPolicy;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PollBeforeBlockTest {
    /** Netty's select-now supplier: answers 0 (nothing ready) until its {@code readyOnCall}-th call, then {@code ready}. */
    private static final class SelectNow implements io.netty.util.IntSupplier {
        final AtomicInteger calls = new AtomicInteger();
        final int readyOnCall, ready;

        SelectNow(int readyOnCall, int ready) {
            this.readyOnCall = readyOnCall;
            this.ready = ready;
        }

        @Override
        public int get() { return calls.incrementAndGet() >= readyOnCall ? ready : 0; }
    }

    @Test
    void queuedTasksGetOneSelectNowAsNettysDefault() throws Exception {
        SelectNow s = new SelectNow(Integer.MAX_VALUE, 0);
        PollBeforeBlock p = new PollBeforeBlock(SpinPolicy.fixed(true, 60_000_000_000L));
        assertEquals(0, p.calculateStrategy(s, true));
        assertEquals(1, s.calls.get());
        assertEquals(0, p.polls());
    }

    @Test
    void aClosedGateBlocksAtOnce() throws Exception {
        SelectNow s = new SelectNow(1, 5);
        PollBeforeBlock p = new PollBeforeBlock(SpinPolicy.NEVER);
        assertEquals(SelectStrategy.SELECT, p.calculateStrategy(s, false));
        assertEquals(0, s.calls.get(), "epoll not even polled");
    }

    @Test
    void eventsThatComeWithinTheWindowAreHandedToTheLoopWithoutBlocking() throws Exception {
        SelectNow s = new SelectNow(4, 2); // ready on the fourth poll
        PollBeforeBlock p = new PollBeforeBlock(SpinPolicy.fixed(true, 60_000_000_000L));
        assertEquals(2, p.calculateStrategy(s, false), "the ready count of the poll that found them");
        assertEquals(4, s.calls.get());
        assertEquals(1, p.polls());
        assertEquals(1, p.pollHits());
    }

    @Test
    void aQuietWindowEndsInABlockingWait() throws Exception {
        SelectNow s = new SelectNow(Integer.MAX_VALUE, 0);
        PollBeforeBlock p = new PollBeforeBlock(SpinPolicy.fixed(true, 2_000_000)); // 2 ms
        assertEquals(SelectStrategy.SELECT, p.calculateStrategy(s, false));
        assertTrue(s.calls.get() >= 1);
        assertEquals(1, p.polls());
        assertEquals(0, p.pollHits());
    }

    @Test
    void afterAMissTheNextWaitsBlockAtOnceThenPollingResumes() throws Exception {
        SelectNow quiet = new SelectNow(Integer.MAX_VALUE, 0);
        PollBeforeBlock p = new PollBeforeBlock(SpinPolicy.fixed(true, 1_000_000)); // 1 ms
        assertEquals(SelectStrategy.SELECT, p.calculateStrategy(quiet, false)); // a miss
        int polledBefore = quiet.calls.get();
        for (int i = 0; i < SpinPolicy.WAITS_SKIPPED_AFTER_MISS; i++)
            assertEquals(SelectStrategy.SELECT, p.calculateStrategy(quiet, false));
        assertEquals(polledBefore, quiet.calls.get(), "the skipped waits did not poll");
        assertEquals(1, p.polls());
        SelectNow ready = new SelectNow(1, 3);
        assertEquals(3, p.calculateStrategy(ready, false), "polling again after the skipped waits");
        assertEquals(2, p.polls());
    }
}
