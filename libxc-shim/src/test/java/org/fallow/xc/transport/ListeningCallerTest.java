package org.fallow.xc.transport;

import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameType;
import org.fallow.abi.wire.HypercallFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.fallow.xc.transport.ScriptedHypervisor.event;
import static org.fallow.xc.transport.ScriptedHypervisor.ret;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A connection with an event listener (every simulated guest has one) against a scripted hypervisor: synchronous
 * callers read their own replies and the events around them, the background reader delivers events while nobody
 * calls, and with concurrent callers, pipelined calls and a flood of events every reply reaches its request, every
 * event is delivered once and in order, and no reply overtakes an event sent before it. Closing (or losing) the
 * connection fails every waiter.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ListeningCallerTest {
    private static final long SAFETY_NANOS = TimeUnit.SECONDS.toNanos(60);

    private ScriptedHypervisor hv;

    @BeforeEach
    void start() throws IOException { hv = new ScriptedHypervisor(); }

    @AfterEach
    void stop() throws IOException { hv.close(); }

    /** The events listener: ports in delivery order, and the highest seen so far. */
    private static final class Events {
        final LinkedBlockingQueue<Integer> ports = new LinkedBlockingQueue<>();
        final AtomicInteger highest = new AtomicInteger();

        void accept(int port) {
            ports.add(port);
            highest.accumulateAndGet(port, Math::max);
        }
    }

    /** The highest event port delivered once every event already handed to the events thread has been delivered. */
    private static int eventsDeliveredSoFar(HypervisorConnection c, Events events) throws Exception {
        CompletableFuture<Integer> seen = new CompletableFuture<>();
        c.deliver(() -> seen.complete(events.highest.get()), "test marker");
        return seen.get(60, TimeUnit.SECONDS);
    }

    private static CompletableFuture<Long> callAsyncThread(HypervisorConnection c, long token) {
        CompletableFuture<Long> r = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                r.complete(c.hypercall(17, token));
            } catch (IOException | RuntimeException e) {
                r.completeExceptionally(e);
            }
        }, "caller-" + token);
        t.start();
        return r;
    }

    @Test
    void aListeningCallerReadsItsOwnReplyAndTheEventsAroundIt() throws Exception {
        try (HypervisorConnection c = hv.connect()) {
            Events events = new Events();
            c.onEvent(events::accept);

            hv.send(event(1)); // nobody calls: the background reader delivers it
            assertEquals(1, events.ports.poll(60, TimeUnit.SECONDS));

            int rounds = 200;
            Thread caller = Thread.currentThread();
            CompletableFuture<Void> server = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < rounds; i++) {
                        Frame req = hv.readFrame();
                        long token = new HypercallFrame().wrap(req.payload()).arg(0);
                        // answer once the caller holds the read role: its reply and the events around it are read by it
                        long deadline = System.nanoTime() + SAFETY_NANOS;
                        while (c.readRoleHolder() != caller) {
                            if (System.nanoTime() > deadline) throw new AssertionError("the caller never took the read role");
                            Thread.onSpinWait();
                        }
                        ByteArrayOutputStream burst = new ByteArrayOutputStream();
                        burst.write(event(2 + 2 * i));
                        burst.write(ret(req.requestId(), token * 10));
                        burst.write(event(3 + 2 * i));
                        hv.send(burst.toByteArray());
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, command -> new Thread(command, "scripted-hypervisor").start());

            for (int i = 0; i < rounds; i++) {
                assertEquals(10L * (1000 + i), c.hypercall(17, 1000 + i));
                assertTrue(eventsDeliveredSoFar(c, events) >= 2 + 2 * i, "the event sent before reply " + i + " was delivered before it");
            }
            server.get(60, TimeUnit.SECONDS);
            assertEquals(0, c.handedOffReplies(), "every reply was read by its caller");
            for (int port = 2; port < 2 + 2 * rounds; port++) assertEquals(port, events.ports.poll(60, TimeUnit.SECONDS));
            assertNull(events.ports.poll(100, TimeUnit.MILLISECONDS), "each event delivered once");
        }
    }

    /** Status of a scripted reply: the request's token and how many events the hypervisor sent before the reply. */
    private static long status(long token, int eventsBefore) { return token << 20 | eventsBefore; }

    @Test
    void concurrentCallersPipelinedCallsAndAnEventFloodEachGetTheirOwn() throws Exception {
        int callers = 3, callsEach = 300, asyncCalls = 600, window = 8, flood = 1500;
        int requests = callers * callsEach + asyncCalls;
        try (HypervisorConnection c = hv.connect()) {
            Events events = new Events();
            c.onEvent(events::accept);
            AtomicInteger eventsSent = new AtomicInteger();

            // every event has a port of its own (at most flood + 1 per request: within the 2-level ABI's 4,095 ports,
            // and none coalesces with another), so each must arrive exactly once and in order
            assertTrue(flood + requests < org.fallow.abi.xen.EvtchnConstants.EVTCHN_2L_NR_CHANNELS);
            // the hypervisor: a flood of events first, then each request answered in order, 0-1 events before each
            // reply, sometimes in the reply's write, sometimes on their own
            CompletableFuture<Void> server = CompletableFuture.runAsync(() -> {
                Random random = new Random(16);
                try {
                    ByteArrayOutputStream burst = new ByteArrayOutputStream();
                    for (int i = 0; i < flood; i++) {
                        burst.write(event(eventsSent.incrementAndGet()));
                        if (burst.size() > 4000) {
                            hv.send(burst.toByteArray());
                            burst.reset();
                        }
                    }
                    hv.send(burst.toByteArray());
                    for (int answered = 0; answered < requests; ) {
                        Frame req = hv.readFrame();
                        if (req.type() != FrameType.HYPERCALL) continue;
                        long token = new HypercallFrame().wrap(req.payload()).arg(0);
                        burst.reset();
                        for (int e = random.nextInt(2); e > 0; e--) burst.write(event(eventsSent.incrementAndGet()));
                        if (random.nextBoolean()) {
                            hv.send(burst.toByteArray());
                            burst.reset();
                        }
                        burst.write(ret(req.requestId(), status(token, eventsSent.get())));
                        hv.send(burst.toByteArray());
                        answered++;
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, command -> new Thread(command, "scripted-hypervisor").start());

            List<CompletableFuture<Void>> clients = new ArrayList<>();
            for (int k = 0; k < callers; k++) {
                long base = (k + 1) * 10_000L;
                CompletableFuture<Void> done = new CompletableFuture<>();
                new Thread(() -> {
                    try {
                        for (int i = 0; i < callsEach; i++) {
                            long token = base + i;
                            long s = c.hypercall(17, token);
                            assertEquals(token, s >>> 20, "a caller got its own reply");
                            int before = (int) (s & 0xFFFFF);
                            assertTrue(eventsDeliveredSoFar(c, events) >= before, "no reply overtakes an event sent before it");
                        }
                        done.complete(null);
                    } catch (Throwable e) {
                        done.completeExceptionally(e);
                    }
                }, "caller-" + k).start();
                clients.add(done);
            }
            CompletableFuture<Void> pipelined = new CompletableFuture<>();
            new Thread(() -> {
                try {
                    ArrayDeque<CompletableFuture<Void>> inflight = new ArrayDeque<>();
                    for (int i = 0; i < asyncCalls; i++) {
                        if (inflight.size() >= window) inflight.poll().get(60, TimeUnit.SECONDS);
                        long token = 900_000L + i;
                        inflight.add(c.hypercallAsync(17, token).thenAccept(s -> assertEquals(token, s >>> 20)));
                    }
                    while (!inflight.isEmpty()) inflight.poll().get(60, TimeUnit.SECONDS);
                    pipelined.complete(null);
                } catch (Throwable e) {
                    pipelined.completeExceptionally(e);
                }
            }, "pipeliner").start();
            clients.add(pipelined);

            for (CompletableFuture<Void> done : clients) done.get(90, TimeUnit.SECONDS);
            server.get(60, TimeUnit.SECONDS);
            int sent = eventsSent.get();
            for (int port = 1; port <= sent; port++) {
                Integer got = events.ports.poll(60, TimeUnit.SECONDS);
                if (got == null || got != port) fail("event " + port + " of " + sent + ": got " + got);
            }
            assertNull(events.ports.poll(100, TimeUnit.MILLISECONDS), "each event delivered once");
        }
    }

    @Test
    void aCallbackOfAPipelinedCallMayMakeASynchronousCall() throws Exception {
        try (HypervisorConnection c = hv.connect()) {
            c.onEvent(port -> { });
            CompletableFuture<Long> first = c.hypercallAsync(17, 1);
            // registered before the reply is sent: runs in the thread that reads it, which holds the read role
            CompletableFuture<Long> second = first.thenApply(s -> {
                try {
                    return c.hypercall(17, s + 1);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Frame a = hv.readFrame();
            hv.send(ret(a.requestId(), 1));
            Frame b = hv.readFrame(); // sent by the callback
            assertEquals(2L, new HypercallFrame().wrap(b.payload()).arg(0));
            hv.send(ret(b.requestId(), 20));
            assertEquals(20L, second.get(60, TimeUnit.SECONDS));
        }
    }

    @Test
    void closingWhileCallersWaitFailsEveryOne() throws Exception {
        HypervisorConnection c = hv.connect();
        c.onEvent(port -> { });
        CompletableFuture<Long> first = callAsyncThread(c, 1);
        CompletableFuture<Long> second = callAsyncThread(c, 2);
        CompletableFuture<Long> pipelined = c.hypercallAsync(17, 3);
        for (int i = 0; i < 3; i++) assertEquals(FrameType.HYPERCALL, hv.readFrame().type()); // all three sent
        c.close();
        for (CompletableFuture<Long> f : List.of(first, second, pipelined)) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(60, TimeUnit.SECONDS));
            assertInstanceOf(IOException.class, e.getCause());
        }
        assertFalse(c.isOpen());
        assertThrows(IOException.class, () -> c.hypercall(17, 4), "a call after close fails at once");
    }

    @Test
    void losingTheConnectionWhileCallersWaitFailsEveryOne() throws Exception {
        try (HypervisorConnection c = hv.connect()) {
            c.onEvent(port -> { });
            CompletableFuture<Long> first = callAsyncThread(c, 1);
            CompletableFuture<Long> second = callAsyncThread(c, 2);
            CompletableFuture<Long> pipelined = c.hypercallAsync(17, 3);
            for (int i = 0; i < 3; i++) assertEquals(FrameType.HYPERCALL, hv.readFrame().type());
            hv.send(event(7)); // read by whoever reads, before the end of the stream
            hv.hangUp();
            for (CompletableFuture<Long> f : List.of(first, second, pipelined)) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(60, TimeUnit.SECONDS));
                assertInstanceOf(IOException.class, e.getCause());
            }
            assertFalse(c.isOpen());
        }
    }
}
