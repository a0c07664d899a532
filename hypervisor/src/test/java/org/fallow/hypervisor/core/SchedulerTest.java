package org.fallow.hypervisor.core;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The scheduler on a plain event loop: a request whose work throws an Error is failed and its connection keeps being
 * served (issue 14's Error bug), and under a sustained backlog the thread pauses (credits) while a request of another
 * connection still runs at once. Nothing is timed: each test waits for what it expects to happen.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SchedulerTest {
    private final EventLoop loop = new DefaultEventLoop();
    private final Preemption preemption = new Preemption();
    private final Scheduler scheduler = new Scheduler(loop, preemption);

    @AfterEach
    void stop() { loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly(); }

    private <T> T onLoop(Callable<T> c) throws Exception { return loop.submit(c).get(30, TimeUnit.SECONDS); }

    /** Work that records its run and its failure. */
    private static final class Recording implements Scheduler.Work {
        final String name;
        final List<String> log;
        final Runnable body;

        Recording(String name, List<String> log, Runnable body) {
            this.name = name;
            this.log = log;
            this.body = body;
        }

        @Override public boolean run() {
            log.add("run " + name);
            body.run();
            return true;
        }

        @Override public void failed(Throwable t) { log.add("failed " + name + ": " + t.getClass().getSimpleName()); }
    }

    private static void overflow(int depth) { overflow(depth + 1); }

    @Test
    void anErrorInQueuedWorkFailsThatRequestAndTheConnectionGoesOn() throws Exception {
        List<String> log = new ArrayList<>();
        Scheduler.Queue busy = new Scheduler.Queue("busy");
        Scheduler.Queue q = new Scheduler.Queue("q");
        AtomicBoolean release = new AtomicBoolean();
        onLoop(() -> {
            // a continuation on another connection keeps the scheduler in slices, so q's work is queued, not inline
            scheduler.submit(busy, () -> release.get());
            scheduler.submit(q, new Recording("a", log, () -> overflow(0)));
            scheduler.submit(q, new Recording("b", log, () -> { throw new OutOfMemoryError("Requested array size exceeds VM limit"); }));
            scheduler.submit(q, new Recording("c", log, () -> { }));
            return null;
        });
        while (onLoop(() -> !log.contains("run c"))) Thread.sleep(1);
        release.set(true);
        assertEquals(List.of("run a", "failed a: StackOverflowError", "run b", "failed b: OutOfMemoryError", "run c"),
                onLoop(() -> List.copyOf(log)));
        assertTrue(RequestFailure.count() >= 2, "each failure counted in the rate-limited log");
    }

    @Test
    void anErrorInInlineWorkFailsThatRequestAndTheNextRunsInline() throws Exception {
        List<String> log = new ArrayList<>();
        Scheduler.Queue q = new Scheduler.Queue("q");
        onLoop(() -> {
            scheduler.submit(q, new Recording("a", log, () -> overflow(0)));
            scheduler.submit(q, new Recording("b", log, () -> { }));
            return null;
        });
        assertEquals(List.of("run a", "failed a: StackOverflowError", "run b"), onLoop(() -> List.copyOf(log)));
        assertEquals(2, onLoop(scheduler::inlineRuns));
    }

    @Test
    void aBrokenJvmIsNotPapered() throws Exception {
        Scheduler.Queue q = new Scheduler.Queue("q");
        Throwable t = onLoop(() -> {
            try {
                scheduler.submit(q, () -> { throw new UnknownError("injected"); });
                return null;
            } catch (UnknownError e) {
                return e;
            }
        });
        assertNotNull(t, "an UnknownError (the JVM itself is broken) is not turned into an errno");
        assertFalse(RequestFailure.recoverable(t));
        assertTrue(RequestFailure.recoverable(new StackOverflowError()));
        assertTrue(RequestFailure.recoverable(new OutOfMemoryError()));
    }

    @Test
    void aSustainedBacklogPausesTheThreadAndAnotherConnectionRunsAtOnce() throws Exception {
        Scheduler.Queue attacker = new Scheduler.Queue("attacker");
        Scheduler.Queue victim = new Scheduler.Queue("victim");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger slicesRun = new AtomicInteger();
        onLoop(() -> {
            scheduler.open(attacker);
            scheduler.open(victim);
            // a hypercall that never finishes: each run does one slice of work, then yields
            scheduler.submit(attacker, () -> {
                slicesRun.incrementAndGet();
                while (!preemption.check()) Thread.onSpinWait();
                return stop.get();
            });
            return null;
        });
        // the victim is active too (a request now and then): the attacker has used its burst of credit, and the
        // scheduler now leaves the thread idle between slices
        while (onLoop(scheduler::dutyPauses) == 0) {
            onLoop(() -> {
                victim.newTurn();
                scheduler.submit(victim, () -> true);
                return null;
            });
            Thread.sleep(1);
        }
        // a request of the other connection, arriving while the attacker's backlog is queued, runs at once (inline)
        AtomicBoolean ran = new AtomicBoolean();
        long inlineBefore = onLoop(scheduler::inlineRuns);
        boolean ranAtOnce = false;
        for (int i = 0; i < 1000 && !ranAtOnce; i++) {
            ranAtOnce = onLoop(() -> {
                victim.newTurn();
                ran.set(false);
                scheduler.submit(victim, () -> {
                    ran.set(true);
                    return true;
                });
                return ran.get();
            });
        }
        assertTrue(ranAtOnce, "the victim's request ran as it arrived during a pause");
        assertTrue(onLoop(scheduler::inlineRuns) > inlineBefore);
        stop.set(true);
        assertTrue(slicesRun.get() > 1, "the attacker kept getting slices");
    }

    @Test
    void aConnectionAloneWithWorkIsNotPausedWhileOthersAreOpenButIdle() throws Exception {
        Scheduler.Queue busy = new Scheduler.Queue("busy");
        Scheduler.Queue idle = new Scheduler.Queue("idle");
        AtomicInteger slicesRun = new AtomicInteger();
        onLoop(() -> {
            scheduler.open(busy);
            scheduler.open(idle);
            scheduler.submit(busy, () -> {
                while (!preemption.check()) Thread.onSpinWait();
                return slicesRun.incrementAndGet() >= 100; // ten times the burst of credit
            });
            return null;
        });
        while (slicesRun.get() < 100) Thread.sleep(1);
        assertEquals(0, onLoop(scheduler::dutyPauses), "the open connection asked nothing: no pauses");
        assertFalse(onLoop(scheduler::shared));
    }

    @Test
    void theDutyCycleEndsAWindowAfterTheOtherConnectionWentQuiet() throws Exception {
        Scheduler.Queue busy = new Scheduler.Queue("busy");
        Scheduler.Queue other = new Scheduler.Queue("other");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger slicesRun = new AtomicInteger();
        onLoop(() -> {
            scheduler.open(busy);
            scheduler.open(other);
            scheduler.submit(other, () -> true); // the other connection asks once
            scheduler.submit(busy, () -> {
                slicesRun.incrementAndGet();
                while (!preemption.check()) Thread.onSpinWait();
                return stop.get();
            });
            return null;
        });
        long lastRequest = System.nanoTime();
        // once the window has passed, the busy connection runs without pauses
        while (System.nanoTime() - lastRequest <= Scheduler.CONTENDED_WINDOW_NANOS) Thread.sleep(5);
        assertFalse(onLoop(scheduler::shared));
        long pauses = onLoop(scheduler::dutyPauses);
        int from = slicesRun.get();
        while (slicesRun.get() < from + 100) Thread.sleep(1);
        assertEquals(pauses, onLoop(scheduler::dutyPauses), "paused after the other connection went quiet");
        stop.set(true);
    }

    @Test
    void aLoneConnectionIsNeverPaused() throws Exception {
        Scheduler.Queue only = new Scheduler.Queue("only");
        AtomicInteger slicesRun = new AtomicInteger();
        onLoop(() -> {
            scheduler.open(only);
            scheduler.submit(only, () -> {
                while (!preemption.check()) Thread.onSpinWait();
                return slicesRun.incrementAndGet() >= 100; // 100 slices: 10 ms, ten times the burst of credit
            });
            return null;
        });
        while (slicesRun.get() < 100) Thread.sleep(1);
        assertEquals(0, onLoop(scheduler::dutyPauses), "nobody else to protect: no pauses");
    }
}
