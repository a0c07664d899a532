package org.fallow.hypervisor.core;

import io.netty.channel.EventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Serves the connections' request queues on the dispatch thread, round-robin, one bounded slice at a time (Xen's one
 * physical CPU shared between vCPUs).
 * <p>
 * A request arriving on an idle hypervisor runs at once, on the thread that read it ({@link #submit}: no hand-off, no
 * queueing). Otherwise it waits in its connection's {@link Queue} (requests of one connection run in arrival order,
 * one at a time) and the connection takes its turn in the run queue. A request that yields with a continuation
 * ({@link HypervisorCore#createContinuation}) stays at the head of its queue and its connection goes to the back of
 * the run queue. Between two slices the event loop polls its sockets, and a connection that had nothing to do and
 * now has a request goes to the <em>front</em> of the run queue (as Xen's credit scheduler boosts a waking vCPU
 * ahead of CPU hogs): a request arriving while others are busy with long hypercalls waits for about one slice.
 * <p>
 * A connection that may not produce replies (its socket is not writable) is {@link #hold held}: it keeps its queue but
 * gets no turn until {@link #release}d.
 */
public final class Scheduler {
    private static final Logger log = LoggerFactory.getLogger(Scheduler.class);

    /** One unit of work: runs a slice, returns true when finished (false: yielded with a continuation, run again). */
    @FunctionalInterface
    public interface Work {
        boolean run();
    }

    /** One connection's requests, in arrival order. Create one per connection; touch only on the dispatch thread. */
    public static final class Queue {
        private final String name;
        private final ArrayDeque<Work> items = new ArrayDeque<>();
        private boolean inRunQueue;
        private boolean held;
        private boolean closed;
        private int inlineRuns;

        public Queue(String name) { this.name = name; }

        /** Requests waiting or running (the one at the head may be part-way through a continuation). */
        public int size() { return items.size(); }

        /** Starts a new read turn: the connection may again run up to {@link #MAX_INLINE_PER_TURN} requests inline. */
        public void newTurn() { inlineRuns = 0; }

        @Override public String toString() { return name; }
    }

    /**
     * Requests of one connection run at once within one read turn (a pipelined burst); the rest of the burst takes
     * turns with the other connections. Counted, not timed: reading the clock per request costs more than a null
     * hypercall's dispatch, and a request that runs long yields by its own preemption checks anyway.
     */
    public static final int MAX_INLINE_PER_TURN = 64;

    private final EventLoop loop;
    private final Preemption preemption;
    private final ArrayDeque<Queue> runQueue = new ArrayDeque<>();
    private final Runnable sliceTask = this::runSlices;
    private boolean running;
    private boolean scheduled;
    private long slices;
    private long inline;

    Scheduler(EventLoop loop, Preemption preemption) {
        this.loop = loop;
        this.preemption = preemption;
    }

    /**
     * Adds {@code w} to {@code q}. Runs it at once if nothing else is waiting (and {@code q} has not used up its inline
     * runs in this read turn); otherwise it runs in {@code q}'s turn. Call on the dispatch thread.
     */
    public void submit(Queue q, Work w) {
        if (q.closed) return;
        if (!running && runQueue.isEmpty() && q.items.isEmpty() && !q.held && q.inlineRuns < MAX_INLINE_PER_TURN) {
            inline++;
            q.inlineRuns++;
            if (runOne(q, w)) return;
            q.items.addFirst(w);
            makeRunnable(q);
            return;
        }
        boolean wasIdle = q.items.isEmpty();
        q.items.add(w);
        if (!q.held) {
            if (wasIdle) makeRunnableFirst(q);
            else makeRunnable(q);
        }
    }

    /** A connection that was idle: served before those that used their slice (boost). */
    private void makeRunnableFirst(Queue q) {
        if (q.inRunQueue || q.closed) return;
        q.inRunQueue = true;
        runQueue.addFirst(q);
        scheduleSlices();
    }

    /** Stops giving {@code q} turns (its replies cannot be written now); its requests stay queued. */
    public void hold(Queue q) { q.held = true; }

    /** Gives {@code q} turns again. */
    public void release(Queue q) {
        if (!q.held) return;
        q.held = false;
        if (!q.items.isEmpty()) makeRunnable(q);
    }

    /** The connection is gone: its waiting requests are dropped (they never ran), a running continuation abandoned. */
    public void close(Queue q) {
        q.closed = true;
        if (!q.items.isEmpty()) log.debug("{}: {} queued request(s) dropped with the connection", q, q.items.size());
        q.items.clear();
        runQueue.remove(q);
        q.inRunQueue = false;
    }

    /** Connections waiting for a turn. */
    public int runnable() { return runQueue.size(); }

    /** Scheduler slices run so far and requests run at once on arrival (statistics). */
    public long slices() { return slices; }

    public long inlineRuns() { return inline; }

    private void makeRunnable(Queue q) {
        if (q.inRunQueue || q.closed) return;
        q.inRunQueue = true;
        runQueue.add(q);
        scheduleSlices();
    }

    private void scheduleSlices() {
        if (scheduled) return;
        scheduled = true;
        try {
            // a scheduled (not a plain) task: the loop polls its sockets before running it, so other connections'
            // frames are read between two slices even while this one keeps rescheduling itself
            loop.schedule(sliceTask, 0, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            scheduled = false;
            log.debug("dispatch loop shutting down; {} connection(s) left waiting", runQueue.size());
        }
    }

    /** Runs queued work round-robin for about one slice, then yields to the event loop. */
    private void runSlices() {
        scheduled = false;
        slices++;
        long deadline = System.nanoTime() + preemption.sliceNanos();
        do {
            Queue q = runQueue.poll();
            if (q == null) break;
            q.inRunQueue = false;
            Work w = q.items.peek();
            if (q.held || q.closed || w == null) continue;
            if (runOne(q, w) && !q.items.isEmpty() && q.items.peek() == w) q.items.poll();
            if (!q.items.isEmpty() && !q.held) makeRunnableNoSchedule(q);
        } while (System.nanoTime() < deadline);
        if (!runQueue.isEmpty()) scheduleSlices();
    }

    private void makeRunnableNoSchedule(Queue q) {
        if (q.inRunQueue || q.closed) return;
        q.inRunQueue = true;
        runQueue.add(q);
    }

    private boolean runOne(Queue q, Work w) {
        running = true;
        preemption.begin();
        try {
            return w.run();
        } catch (RuntimeException | InternalError e) {
            // never let one request kill the dispatch thread (InternalError = SIGBUS on a truncated mapping)
            log.error("{}: request failed inside the hypervisor", q, e);
            return true;
        } finally {
            preemption.end();
            running = false;
        }
    }
}
