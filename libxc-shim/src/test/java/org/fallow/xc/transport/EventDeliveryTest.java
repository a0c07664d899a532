package org.fallow.xc.transport;

import org.fallow.abi.xen.EvtchnConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The events thread's bounds: per-port coalescing (Xen's pending bit) and a cap on other waiting listener calls. */
class EventDeliveryTest {
    private final EventDelivery events = new EventDelivery("test");
    private final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch blocking = new CountDownLatch(1);

    @AfterEach
    void stop() throws InterruptedException {
        release.countDown();
        events.shutdown();
        assertTrue(events.awaitTermination(30_000));
    }

    /** Occupies the events thread until {@link #release}, so what follows queues up behind it. */
    private void blockTheThread() throws InterruptedException {
        events.other(() -> {
            blocking.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "blocker");
        assertTrue(blocking.await(30, TimeUnit.SECONDS));
    }

    /** Waits (bounded) until every queued call has run: a marker queued last (a port: always room for it) has run. */
    private void drain() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        events.port(EvtchnConstants.EVTCHN_2L_NR_CHANNELS - 2, p -> done.countDown());
        assertTrue(done.await(30, TimeUnit.SECONDS));
    }

    @Test
    void aPortKickedManyTimesBeforeItsListenerRunsIsDeliveredOnceInArrivalOrder() throws Exception {
        blockTheThread();
        events.port(7, p -> calls.add("port " + p));
        for (int i = 0; i < 100; i++) events.port(5, p -> calls.add("port " + p));
        events.port(9, p -> calls.add("port " + p));
        events.port(7, p -> calls.add("port " + p));
        release.countDown();
        drain();
        assertEquals(List.of("port 7", "port 5", "port 9"), calls);
        assertEquals(100, events.coalesced(), "99 kicks of port 5 and the second of port 7 merged");
        assertEquals(0, events.dropped());
    }

    @Test
    void aPortKickedWhileItsListenerRunsIsDeliveredAgain() throws Exception {
        CountDownLatch inListener = new CountDownLatch(1);
        CountDownLatch kickedAgain = new CountDownLatch(1);
        events.port(3, p -> {
            calls.add("first");
            inListener.countDown();
            try {
                assertTrue(kickedAgain.await(30, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(inListener.await(30, TimeUnit.SECONDS));
        events.port(3, p -> calls.add("second"));
        kickedAgain.countDown();
        drain();
        assertEquals(List.of("first", "second"), calls);
        assertEquals(0, events.coalesced());
    }

    @Test
    void portsOutsideTheTwoLevelRangeAreDroppedAndCounted() throws Exception {
        events.port(0, p -> calls.add("port 0"));
        events.port(-1, p -> calls.add("port -1"));
        events.port(EvtchnConstants.EVTCHN_2L_NR_CHANNELS, p -> calls.add("port max"));
        events.port(EvtchnConstants.EVTCHN_2L_NR_CHANNELS - 1, p -> calls.add("last port"));
        drain();
        assertEquals(List.of("last port"), calls);
        assertEquals(3, events.dropped());
    }

    @Test
    void otherListenerCallsBeyondTheBoundAreDroppedTheRestRunInOrder() throws Exception {
        blockTheThread();
        int offered = EventDelivery.MAX_OTHER + 25;
        for (int i = 0; i < offered; i++) {
            int n = i;
            events.other(() -> calls.add("call " + n), "call " + n);
        }
        // the notifications of every port still have room behind a full queue of other calls
        events.port(11, p -> calls.add("port " + p));
        assertEquals(25, events.dropped());
        release.countDown();
        drain();
        assertEquals(EventDelivery.MAX_OTHER + 1, calls.size());
        for (int i = 0; i < EventDelivery.MAX_OTHER; i++) assertEquals("call " + i, calls.get(i));
        assertEquals("port 11", calls.get(EventDelivery.MAX_OTHER));
    }
}
