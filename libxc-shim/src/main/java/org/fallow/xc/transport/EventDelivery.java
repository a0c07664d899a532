package org.fallow.xc.transport;

import org.fallow.abi.xen.EvtchnConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntConsumer;

/**
 * A connection's "events" thread: runs the listeners of unsolicited frames one at a time, in arrival order, off the
 * thread that read them (so a listener may make synchronous calls), with a bound on what waits:
 * <ul>
 *   <li>event-channel notifications coalesce per port, as Xen's pending bit does: a port notified again before its
 *       listener ran is not queued again (the listener runs once, after the last of them; one notified while its
 *       listener runs is queued once more). So notifications never hold more than
 *       {@link EvtchnConstants#EVTCHN_2L_NR_CHANNELS} slots, however fast another domain kicks a port. A port outside
 *       1..EVTCHN_2L_NR_CHANNELS-1 is dropped and counted;</li>
 *   <li>every other frame (domain events, unsolicited errors, xenstore watch events) takes a slot; at most
 *       {@link #MAX_OTHER} wait, and beyond that they are dropped, counted and logged (the first, then every 1024th).</li>
 * </ul>
 */
final class EventDelivery {
    private static final Logger log = LoggerFactory.getLogger(EventDelivery.class);
    /** Waiting listener calls other than event-channel notifications. */
    static final int MAX_OTHER = 4096;

    private final String name;
    private final ThreadPoolExecutor executor;
    /** 1 while a notification of that port is queued and its listener has not started. */
    private final AtomicIntegerArray pending = new AtomicIntegerArray(EvtchnConstants.EVTCHN_2L_NR_CHANNELS);
    private final AtomicInteger otherQueued = new AtomicInteger();
    private final LongAdder coalesced = new LongAdder();
    private final LongAdder dropped = new LongAdder();

    EventDelivery(String name) {
        this.name = name;
        // one slot per port plus MAX_OTHER: the two bounds above keep the queue from ever refusing a task
        this.executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(EvtchnConstants.EVTCHN_2L_NR_CHANNELS + MAX_OTHER), r -> {
                    Thread t = new Thread(r, name + "-events");
                    t.setDaemon(true);
                    return t;
                });
    }

    /** EVTCHN_SEND for {@code port}: {@code listener} runs once for all notifications of it not yet delivered. */
    void port(int port, IntConsumer listener) {
        if (port <= 0 || port >= pending.length()) {
            drop("EVTCHN_SEND for port " + port + " (outside 1.." + (pending.length() - 1) + ")");
            return;
        }
        if (!pending.compareAndSet(port, 0, 1)) {
            coalesced.increment();
            return;
        }
        if (!submit(() -> {
            pending.set(port, 0); // a notification from now on queues another run
            listener.accept(port);
        })) pending.set(port, 0);
    }

    /** Any other unsolicited frame's listener call. */
    void other(Runnable r, String what) {
        if (otherQueued.incrementAndGet() > MAX_OTHER) {
            otherQueued.decrementAndGet();
            drop(what + ": " + MAX_OTHER + " listener calls already waiting");
            return;
        }
        if (!submit(() -> {
            otherQueued.decrementAndGet();
            r.run();
        })) otherQueued.decrementAndGet();
    }

    private boolean submit(Runnable r) {
        try {
            executor.execute(r);
            return true;
        } catch (RejectedExecutionException e) {
            log.debug("{}: event after close dropped", name);
            return false;
        }
    }

    private void drop(String why) {
        dropped.increment();
        long n = dropped.sum();
        if (n == 1 || n % 1024 == 0) log.warn("{}: dropped {} ({} dropped so far)", name, why, n);
    }

    /** Notifications that found their port already pending (merged into the one queued). */
    long coalesced() { return coalesced.sum(); }

    /** Frames whose listener call was dropped (bad port, or too many waiting). */
    long dropped() { return dropped.sum(); }

    void shutdown() { executor.shutdown(); }

    boolean awaitTermination(long millis) throws InterruptedException {
        return executor.awaitTermination(millis, TimeUnit.MILLISECONDS);
    }
}
