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
 * <p>
 * <b>Credits (a duty cycle under sustained load).</b> The emulated hypervisor shares the host's CPUs with its guests
 * (they are host processes), and the host scheduler treats a thread that never sleeps as a CPU hog: under a flood the
 * dispatch thread was measured waiting on the host's run queue 15-55 % of the time, in host time slices of
 * milliseconds, and every other client's request waited with it. So, as Xen's credit scheduler caps a domain, while
 * the thread is {@link #shared() contended} the scheduler keeps two token buckets of dispatch-thread time, each holding
 * at most {@link #CREDIT_BURST_NANOS} and refilled at {@link #DUTY_PERCENT} of wall-clock time:
 * <ul>
 * <li>one per connection, charged with the time its requests run: a connection out of credit runs nothing at once on
 *     arrival; its requests queue and take turns;</li>
 * <li>one for the thread, charged with the wall time of back-to-back slices (their work and the socket I/O between
 *     them): out of credit, the next slice waits until the credit is back, the thread sleeping in epoll meanwhile.</li>
 * </ul>
 * A request of a connection that still has credit and nothing queued runs at once even during such a pause (the
 * waking thread is not a hog, so the host runs it promptly). Short bursts (up to the bucket) run at full speed.
 * <p>
 * <b>Work-conserving.</b> The thread is contended while two connections have had requests within
 * {@link #CONTENDED_WINDOW_NANOS} of each other (or another connection's work is waiting in the run queue), and for
 * that window after; the buckets are charged only then. A connection alone with work (a guest streaming tmem puts
 * while the toolstack's connection sits idle) keeps the whole thread: there is nobody to protect, and the duty cycle
 * only cost it half its throughput (measured: 2.2-2.5x slower tmem put+get at batch 64 with an idle toolstack
 * connection open).
 */
public final class Scheduler {
    private static final Logger log = LoggerFactory.getLogger(Scheduler.class);

    /** One unit of work: runs a slice, returns true when finished (false: yielded with a continuation, run again). */
    @FunctionalInterface
    public interface Work {
        boolean run();

        /**
         * {@link #run} threw {@code t} (a bug, or an Error such as StackOverflowError or OutOfMemoryError that the
         * thread survives): answer the request with an error and account for it as finished. It will not run again.
         */
        default void failed(Throwable t) {}
    }

    /** One connection's requests, in arrival order. Create one per connection; touch only on the dispatch thread. */
    public static final class Queue {
        private final String name;
        private final ArrayDeque<Work> items = new ArrayDeque<>();
        private boolean inRunQueue;
        private boolean held;
        private boolean closed;
        private boolean open;
        private int inlineRuns;
        private final Credit credit = new Credit();

        public Queue(String name) { this.name = name; }

        /** Requests waiting or running (the one at the head may be part-way through a continuation). */
        public int size() { return items.size(); }

        /** Starts a new read turn: the connection may again run up to {@link #MAX_INLINE_PER_TURN} requests inline. */
        public void newTurn() { inlineRuns = 0; }

        @Override public String toString() { return name; }
    }

    /** A token bucket of dispatch-thread time (ns): at most {@link #CREDIT_BURST_NANOS}, refilled at the duty rate. */
    private static final class Credit {
        private long nanos = CREDIT_BURST_NANOS;
        private long refilledAt = System.nanoTime();

        long refill(long now) {
            long gained = (now - refilledAt) * DUTY_PERCENT / 100;
            refilledAt = now;
            nanos = Math.min(CREDIT_BURST_NANOS, nanos + Math.max(0, gained));
            return nanos;
        }

        void charge(long spent, long now) {
            refill(now);
            nanos -= spent;
        }
    }

    /**
     * Requests of one connection run at once within one read turn (a pipelined burst); the rest of the burst takes
     * turns with the other connections, so a client whose frame is read in the same epoll round as a burst waits for
     * at most this many of the burst's requests. Counted, not timed: reading the clock per request costs more than a
     * null hypercall's dispatch, and a request that runs long yields by its own preemption checks anyway.
     */
    public static final int MAX_INLINE_PER_TURN = Integer.getInteger("fallow.maxInlinePerTurn", 4);

    /** As {@link #MAX_INLINE_PER_TURN} for a connection alone on the hypervisor (nobody waits behind its burst). */
    public static final int MAX_INLINE_ALONE = Math.max(MAX_INLINE_PER_TURN, 64);

    /** Share of the dispatch thread a connection (and queued work in all) may use under sustained load (percent). */
    public static final int DUTY_PERCENT = Math.max(1, Math.min(100, Integer.getInteger("fallow.dutyPercent", 50)));

    /**
     * How long the thread stays contended after two connections' requests (or after another connection's work was
     * seen waiting): a connection quiet for longer no longer counts, and the one left busy runs without the duty cycle.
     */
    public static final long CONTENDED_WINDOW_NANOS = Long.getLong("fallow.contendedWindowMillis", 100) * 1_000_000;

    /** Credit a bucket holds at most: a burst up to this long runs at full speed. */
    public static final long CREDIT_BURST_NANOS = Long.getLong("fallow.creditBurstMicros", 1000) * 1000;

    private final EventLoop loop;
    private final Preemption preemption;
    private final ArrayDeque<Queue> runQueue = new ArrayDeque<>();
    private final Runnable sliceTask = this::runSlices;
    private boolean running;
    private boolean scheduled;
    /** The next slice is deferred (thread out of credit): a request of a connection with credit may run at once. */
    private boolean pausing;
    private final Credit threadCredit = new Credit();
    /** End of the last slice if the next one followed at once (the time between was busy with I/O), else 0. */
    private long busySince;
    private int openQueues;
    /** The connection whose request came last, and when (System.nanoTime): a different one within the window contends. */
    private Queue lastSubmitter;
    private long lastSubmitAt;
    /** The thread counts as contended until this time (System.nanoTime); see {@link #shared()}. */
    private long contendedUntil = System.nanoTime() - 1;
    private long slices;
    private long inline;
    private long pauses;

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
        long now = clockUnlessAlone(); // alone, it cannot be contended (see open for the window)
        boolean alone = !noteRequest(q, now);
        if (!running && (runQueue.isEmpty() || pausing) && q.items.isEmpty() && !q.held
                && q.inlineRuns < (alone ? MAX_INLINE_ALONE : MAX_INLINE_PER_TURN)
                && (alone || q.credit.refill(now) > 0)) {
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

    /**
     * Notes a request of {@code q} at {@code now}: the thread becomes contended for {@link #CONTENDED_WINDOW_NANOS} when
     * another open connection had a request within that window or has work waiting. Returns whether it is contended.
     */
    private boolean noteRequest(Queue q, long now) {
        if (openQueues <= 1) { // now is 0: the time of this request is taken when a second connection opens
            lastSubmitter = q;
            return false;
        }
        if ((lastSubmitter != q && lastSubmitter != null && !lastSubmitter.closed
                && now - lastSubmitAt < CONTENDED_WINDOW_NANOS || othersWaiting(q)))
            contendedUntil = now + CONTENDED_WINDOW_NANOS;
        lastSubmitter = q;
        lastSubmitAt = now;
        return contended(now);
    }

    /** Another connection than {@code q} has work in the run queue. */
    private boolean othersWaiting(Queue q) {
        return runQueue.size() > (q.inRunQueue ? 1 : 0);
    }

    private boolean contended(long now) {
        return openQueues > 1 && (now - contendedUntil < 0 || runQueue.size() > 1);
    }

    /** A connection that was idle: served before those that used their slice (boost). */
    private void makeRunnableFirst(Queue q) {
        if (q.inRunQueue || q.closed) return;
        q.inRunQueue = true;
        runQueue.addFirst(q);
        scheduleSlices();
    }

    /**
     * Charges {@code q} for dispatch-thread time spent on it outside its requests since {@code since} (System.nanoTime;
     * 0: not timed, the connection was alone) reading and decoding its frames and flushing its replies: a client whose
     * cost is mostly I/O (a stream of cheap requests) pays for it too.
     */
    public void charge(Queue q, long since) {
        if (q.closed || openQueues <= 1 || since == 0) return; // never contended: no clock read
        long now = System.nanoTime();
        if (contended(now)) q.credit.charge(now - since, now);
    }

    /**
     * Nanoseconds until {@code q} is out of debt if it has used more than twice its burst beyond its budget, else 0.
     * Its connection should not be read meanwhile: its frames wait in its socket at no cost to anyone else.
     */
    public long overdrawnNanos(Queue q) {
        if (q.closed || openQueues <= 1) return 0; // never contended: no clock read
        long now = System.nanoTime();
        if (!contended(now)) return 0;
        long c = q.credit.refill(now);
        return c < -CREDIT_BURST_NANOS ? -c * 100 / DUTY_PERCENT : 0;
    }

    /** A connection opened (the duty cycle can apply only while more than one is open; see {@link #shared()}). */
    public void open(Queue q) {
        if (q.closed || q.open) return;
        q.open = true;
        openQueues++;
        // while it was alone, the other connection's requests were not timed: count its last one as just now, so a
        // request of this one within the window contends with it (at worst a lone connection idle for longer than
        // the window is taken for a recent one once, for one window)
        if (openQueues == 2 && lastSubmitter != null && lastSubmitter != q && !lastSubmitter.closed)
            lastSubmitAt = System.nanoTime();
    }

    /**
     * System.nanoTime, or 0 while at most one connection is open: nothing can contend then, so the credits and the
     * contended window need no clock (a lone connection's null hypercall read it 4 times for nothing). The start of a
     * request's or a read turn's cost, for {@link #charge} and {@link #runOne}.
     */
    public long clockUnlessAlone() { return openQueues > 1 ? System.nanoTime() : 0; }

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
        if (q.open) {
            q.open = false;
            openQueues--;
        }
        q.closed = true;
        if (!q.items.isEmpty()) log.debug("{}: {} queued request(s) dropped with the connection", q, q.items.size());
        q.items.clear();
        runQueue.remove(q);
        q.inRunQueue = false;
    }

    /**
     * The thread is contended: two connections have had requests within {@link #CONTENDED_WINDOW_NANOS} of each other
     * (or another's work waits) no longer than that window ago; the credits (and the pipelined-request rate, PROTOCOL
     * §9.1.2) apply only then.
     */
    public boolean shared() { return openQueues > 1 && contended(System.nanoTime()); }

    /** Connections waiting for a turn. */
    public int runnable() { return runQueue.size(); }

    /** Scheduler slices run so far and requests run at once on arrival (statistics). */
    public long slices() { return slices; }

    public long inlineRuns() { return inline; }

    /** Slices deferred by the backlog duty cycle (statistics). */
    public long dutyPauses() { return pauses; }

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

    /** Runs queued work round-robin for about one slice, then yields to the event loop (or pauses: see credits). */
    private void runSlices() {
        scheduled = false;
        pausing = false;
        slices++;
        long start = System.nanoTime();
        long deadline = start + preemption.sliceNanos();
        int overBudget = 0;
        long creditWait = Long.MAX_VALUE;
        do {
            Queue q = runQueue.poll();
            if (q == null) break;
            q.inRunQueue = false;
            Work w = q.items.peek();
            if (q.held || q.closed || w == null) continue;
            long now = System.nanoTime();
            if (contended(now)) {
                long c = q.credit.refill(now);
                if (c <= 0) { // over its budget: to the back, and it waits for its credit
                    makeRunnableNoSchedule(q);
                    creditWait = Math.min(creditWait, -c * 100 / DUTY_PERCENT + 1000);
                    if (++overBudget >= runQueue.size()) break; // every waiting connection is over budget
                    continue;
                }
            }
            overBudget = 0;
            if (runOne(q, w) && !q.items.isEmpty() && q.items.peek() == w) q.items.poll();
            if (!q.items.isEmpty() && !q.held) makeRunnableNoSchedule(q);
        } while (System.nanoTime() < deadline);
        if (runQueue.isEmpty()) {
            busySince = 0;
            return;
        }
        long end = System.nanoTime();
        if (overBudget > 0 && overBudget >= runQueue.size()) {
            // only connections over their budget wait: sleep until the first of them has earned credit back
            threadCredit.charge(end - (busySince != 0 ? busySince : start), end);
            busySince = 0;
            pauseThenSlice(Math.max(creditWait, threadCredit.nanos < 0 ? -threadCredit.nanos * 100 / DUTY_PERCENT : 0));
            return;
        }
        // busy from the end of the previous slice if this one followed at once (socket I/O in between), else from now;
        // uncontended, the thread is not charged (a busy connection alone must not bank a debt for later)
        boolean contended = contended(end);
        if (contended) threadCredit.charge(end - (busySince != 0 ? busySince : start), end);
        else threadCredit.refill(end);
        if (contended && threadCredit.nanos < 0 && openQueues > runQueue.size()) {
            busySince = 0;
            pauseThenSlice(-threadCredit.nanos * 100 / DUTY_PERCENT);
        } else {
            busySince = end;
            scheduleSlices();
        }
    }

    /** Sleeps in the event loop for {@code nanos} (reading sockets meanwhile), then runs the next slice. */
    private void pauseThenSlice(long nanos) {
        scheduled = true;
        pausing = true;
        pauses++;
        try {
            loop.schedule(sliceTask, nanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            scheduled = false;
            pausing = false;
            log.debug("dispatch loop shutting down; {} connection(s) left waiting", runQueue.size());
        }
    }

    private void makeRunnableNoSchedule(Queue q) {
        if (q.inRunQueue || q.closed) return;
        q.inRunQueue = true;
        runQueue.add(q);
    }

    private boolean runOne(Queue q, Work w) {
        running = true;
        long t0 = clockUnlessAlone();
        preemption.begin();
        try {
            return w.run();
        } catch (RuntimeException | Error e) {
            if (!RequestFailure.recoverable(e)) throw e;
            // never let one request kill the dispatch thread or stall its connection: the request is answered with an
            // error (Work.failed) and the connection goes on (InternalError = SIGBUS on a truncated mapping)
            RequestFailure.log(q.toString(), e);
            try {
                w.failed(e);
            } catch (RuntimeException | Error again) {
                if (!RequestFailure.recoverable(again)) throw again;
                RequestFailure.log(q + " (answering the failed request)", again);
            }
            return true;
        } finally {
            preemption.end();
            running = false;
            if (t0 != 0) {
                long t1 = System.nanoTime();
                if (contended(t1)) q.credit.charge(t1 - t0, t1);
            }
        }
    }
}
