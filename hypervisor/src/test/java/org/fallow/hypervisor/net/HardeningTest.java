package org.fallow.hypervisor.net;

import org.fallow.abi.XenErrno;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameType;
import org.fallow.abi.wire.Hello;
import org.fallow.abi.wire.HelloAck;
import org.fallow.abi.wire.HypercallFrame;
import org.fallow.abi.wire.XsSockMsg;
import org.fallow.abi.xen.MulticallEntry;
import org.fallow.hypervisor.testing.ServedHypervisor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Regression tests for issue 14's findings 3-7 (a hostile client against the real server over a Unix socket). None
 * times anything: each asserts a bound on what the hypervisor holds for the attacker, or that a victim is served
 * while the attack is still going on, or what the attacker is answered.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HardeningTest {
    private static final int COUNTING_OP = 40;

    private ServedHypervisor hv;
    private final List<RawClient> clients = new ArrayList<>();

    private void start(ServerLimits limits) throws Exception {
        hv = ServedHypervisor.start(64, limits);
    }

    @AfterEach
    void stop() throws Exception {
        for (RawClient c : clients) {
            try {
                c.close();
            } catch (IOException ignored) {
                // already closed by the server
            }
        }
        if (hv != null) hv.close();
    }

    private RawClient connect() throws Exception {
        RawClient c = new RawClient(hv.server().socket());
        clients.add(c);
        return c;
    }

    private RawClient toolstack() throws Exception { return toolstack(null, 0); }

    private RawClient toolstack(Path arena, long len) throws Exception {
        RawClient c = connect();
        c.send(new Frame(FrameType.HELLO, 1, Hello.encode(Hello.ROLE_TOOLSTACK, 1, 0, null,
                arena == null ? 0 : ARENA_BASE, len, arena == null ? null : arena.toString())));
        Frame ack = c.read();
        assertEquals(FrameType.HELLO_ACK, ack.type());
        assertEquals(0, new HelloAck().wrap(ack.payload()).status());
        return c;
    }

    private static final long ARENA_BASE = 0x1000_0000L;

    private static Frame xs(long id, int type, byte[] body) {
        return new Frame(FrameType.XENSTORE, id, XsSockMsg.encode(type, (int) id, 0, body));
    }

    /** Starts a thread that writes {@code frames} (blocking when the server stops reading) and ignores the end. */
    private static Thread flood(RawClient c, Iterable<Frame> frames) {
        Thread t = new Thread(() -> {
            try {
                for (Frame f : frames) c.send(f);
            } catch (IOException ignored) {
                // the test closed the attacker
            }
        }, "attacker");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static Iterable<Frame> repeat(int n, java.util.function.LongFunction<Frame> f) {
        return () -> new java.util.Iterator<>() {
            long i;

            @Override public boolean hasNext() { return i < n; }

            @Override public Frame next() { return f.apply(++i); }
        };
    }

    /** Waits until the server holds the attacker back (it stopped reading it). */
    private void awaitAttackerThrottled() throws Exception {
        while (hv.server().stats().writePauses == 0 && hv.server().readPauses() == 0) Thread.sleep(5);
    }

    private void assertBounded(ServerLimits limits) throws Exception {
        for (int sample = 0; sample < 20; sample++) {
            for (HypervisorServer.ConnectionStat s : hv.server().connectionStats()) {
                // one reply may overshoot the high-water mark, and one read turn's frames may overshoot the cap
                assertTrue(s.pendingWriteBytes() <= limits.writeHighWater() + 64 * 1024,
                        s.name() + " holds " + s.pendingWriteBytes() + " bytes of replies");
                assertTrue(s.inFlight() <= limits.maxInFlight() + 4 * 64 * 1024 / 24,
                        s.name() + " has " + s.inFlight() + " requests in flight");
            }
            Thread.sleep(10);
        }
    }

    private void assertVictimServed() throws Exception {
        try (RawClient v = toolstack()) {
            for (int i = 0; i < 3; i++) {
                v.send(new Frame(FrameType.HYPERCALL, 100 + i, HypercallFrame.encode(Hypercalls.MULTICALL, 0, 0)));
                Frame r = v.read();
                assertEquals(FrameType.HYPERCALL_RET, r.type());
                assertEquals(100 + i, r.requestId());
                assertEquals(0, r.status());
            }
        }
    }

    // ---- pipelined-request rate (PROTOCOL §9.1.2) ----------------------------------------------------------------

    @Test
    void aPipeliningClientIsPacedWhileAnotherIsActiveAndEveryRequestIsAnsweredInOrder() throws Exception {
        start(ServerLimits.defaults().withPipelinedRate(250, 10)); // 1,000 requests exceed it unless the host takes 4 s over them
        RawClient bystander = toolstack(); // the rate applies only while another connection has requests too
        RawClient attacker = toolstack();
        int n = 1_000;
        flood(attacker, repeat(n, id -> new Frame(FrameType.HYPERCALL, id, HypercallFrame.encode(Hypercalls.MULTICALL, 0, 0))));
        Frame first = attacker.read();
        assertEquals(1, first.requestId());
        // the bystander keeps asking (one request at a time) until a pause was taken, however slow the host
        for (long id = 2; hv.server().stats().ratePauses == 0; id++) {
            assertTrue(id < 1_000_000, "the pipelining client was never paced");
            bystander.send(new Frame(FrameType.HYPERCALL, id, HypercallFrame.encode(Hypercalls.MULTICALL, 0, 0)));
            assertEquals(id, bystander.read().requestId());
        }
        for (long id = 2; id <= n; id++) { // none dropped, reordered or failed
            Frame r = attacker.read();
            assertEquals(FrameType.HYPERCALL_RET, r.type());
            assertEquals(id, r.requestId());
            assertEquals(0, r.status());
        }
        assertVictimServed();
    }

    @Test
    void aPipeliningClientIsNotPacedWhileTheOthersAreIdle() throws Exception {
        start(ServerLimits.defaults().withPipelinedRate(250, 10));
        toolstack(); // connected, but asks nothing: nobody to protect
        RawClient alone = toolstack();
        // their two HELLOs were requests of two connections: contended for a window, which has to pass first
        long helloDone = System.nanoTime();
        while (System.nanoTime() - helloDone <= org.fallow.hypervisor.core.Scheduler.CONTENDED_WINDOW_NANOS) Thread.sleep(5);
        int n = 1_000;
        flood(alone, repeat(n, id -> new Frame(FrameType.HYPERCALL, id, HypercallFrame.encode(Hypercalls.MULTICALL, 0, 0))));
        for (long id = 1; id <= n; id++) assertEquals(id, alone.read().requestId());
        assertEquals(0, hv.server().stats().ratePauses, "a client alone with work was paced");
    }

    @Test
    void aClientThatWaitsForEachAnswerTakesNoToken() throws Exception {
        start(ServerLimits.defaults().withPipelinedRate(1, 1));
        toolstack(); // a bystander
        RawClient c = toolstack();
        for (long id = 2; id <= 500; id++) {
            c.send(new Frame(FrameType.HYPERCALL, id, HypercallFrame.encode(Hypercalls.MULTICALL, 0, 0)));
            Frame r = c.read();
            assertEquals(id, r.requestId());
            assertEquals(0, r.status());
        }
        assertEquals(0, hv.server().stats().ratePauses, "a synchronous client was paced");
    }

    // ---- finding 3: unbounded outgoing data ---------------------------------------------------------------------

    @Test
    void finding3_pipelinedXsReadsNeverReadStayBounded() throws Exception {
        ServerLimits limits = ServerLimits.defaults();
        start(limits);
        try (RawClient setup = toolstack()) {
            setup.send(xs(1, XsSockMsg.XS_WRITE, (new String("/big\0") + "v".repeat(3000)).getBytes()));
            assertEquals(FrameType.XENSTORE, setup.read().type());
        }
        RawClient attacker = toolstack();
        // 200,000 XS_READs of a 3000-byte value = 600 MB of replies if they were all buffered
        flood(attacker, repeat(200_000, id -> xs(id, XsSockMsg.XS_READ, XsSockMsg.nulTerminated("/big"))));
        awaitAttackerThrottled();
        assertBounded(limits);
        assertVictimServed();
        assertBounded(limits);
    }

    @Test
    void finding3_watchesAndWritesWithoutReadingStayBounded() throws Exception {
        ServerLimits limits = ServerLimits.defaults();
        start(limits);
        RawClient attacker = toolstack();
        int watches = 200;
        for (int i = 0; i < watches; i++)
            attacker.send(xs(i + 1, XsSockMsg.XS_WATCH, XsSockMsg.nulTerminated("/w", "t" + i)));
        try (RawClient writer = toolstack()) {
            // every write fires all 200 watches: 400,000 events (~15 MB) for a client that never reads
            for (int i = 0; i < 2000; i++) {
                writer.send(xs(i + 1, XsSockMsg.XS_WRITE, ("/w/k\0" + i).getBytes()));
                Frame r = writer.read();
                assertEquals(FrameType.XENSTORE, r.type(), "the writer is answered");
                assertEquals(i + 1, r.requestId());
            }
        }
        assertTrue(hv.server().stats().watchEventsDropped > 0, "events for the non-reader were dropped");
        assertBounded(limits);
        assertVictimServed();
    }

    // ---- finding 4: one guest stalls everyone -----------------------------------------------------------------

    @Test
    void finding4_aMulticallFloodDoesNotHoldOffAnotherClient() throws Exception {
        start(ServerLimits.defaults());
        AtomicLong calls = new AtomicLong();
        hv.core().registerHypercall(COUNTING_OP, (c, a) -> calls.incrementAndGet());
        int entries = 1 << 18;
        int batches = 20;
        long bytes = (long) entries * MulticallEntry.SIZE;
        Path arena = hv.dir().resolve("attacker.arena");
        try (RandomAccessFile f = new RandomAccessFile(arena.toFile(), "rw"); Arena a = Arena.ofConfined()) {
            f.setLength(bytes);
            MemorySegment list = f.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, bytes, a);
            for (long i = 0; i < entries; i++) list.set(U64_UNALIGNED, i * MulticallEntry.SIZE + MulticallEntry.OP_OFFSET, COUNTING_OP);
        }
        RawClient attacker = toolstack(arena, bytes);
        for (int b = 0; b < batches; b++)
            attacker.send(new Frame(FrameType.HYPERCALL, 10 + b, HypercallFrame.encode(Hypercalls.MULTICALL, ARENA_BASE, entries)));
        while (calls.get() == 0) Thread.sleep(1); // the attacker's work has started
        assertVictimServed();
        long done = calls.get();
        assertTrue(done < (long) entries * batches,
                "the victim was answered while the attacker's multicalls were still running (" + done + " calls done)");
        assertTrue(hv.server().stats().continuations > 0, "the multicalls yielded");
        // and the attacker still gets every answer, with every entry run exactly once
        for (int b = 0; b < batches; b++) {
            Frame r = attacker.read();
            assertEquals(10 + b, r.requestId());
            assertEquals(0, r.status());
        }
        assertEquals((long) entries * batches, calls.get());
    }

    // ---- finding 5: connection floods ---------------------------------------------------------------------------

    @Test
    void finding5_idleConnectionsDoNotLockOutTheToolstack() throws Exception {
        ServerLimits limits = ServerLimits.defaults().withHandshake(16, 60_000);
        start(limits);
        List<RawClient> idle = new ArrayList<>();
        for (int i = 0; i < 200; i++) idle.add(connect());
        try (RawClient t = toolstack()) {
            t.send(new Frame(FrameType.HYPERCALL, 2, HypercallFrame.encode(Hypercalls.MULTICALL, 0, 0)));
            assertEquals(0, t.read().status());
        }
        assertTrue(hv.server().unauthenticatedConnections() <= limits.maxUnauthenticated());
        // the oldest idle connections were evicted to make room (the newest few may still be open, so only those probed)
        for (RawClient c : idle.subList(0, 150)) assertTrue(c.closedByServer());
        assertTrue(hv.server().stats().evictions >= 200 - limits.maxUnauthenticated(),
                "evicted " + hv.server().stats().evictions);
    }

    @Test
    void finding5_aConnectionThatNeverSaysHelloIsClosed() throws Exception {
        start(ServerLimits.defaults().withHandshake(64, 200));
        RawClient idle = connect();
        assertTrue(idle.closedByServer(), "closed without a HELLO");
        assertEquals(1, hv.server().stats().handshakeTimeouts);
        assertVictimServed();
    }

    @Test
    void finding5_guestConnectionsPerDomainAreCapped() throws Exception {
        start(ServerLimits.defaults().withConnections(2, 1024, 256));
        byte[] secret = "0123456789abcdef".getBytes();
        hv.core().dispatcher().submit(() -> hv.core().domains().add(new org.fallow.hypervisor.core.Domain(5, secret, 1))).get();
        for (int i = 0; i < 3; i++) {
            RawClient g = connect();
            g.send(new Frame(FrameType.HELLO, 1, Hello.encode(Hello.ROLE_GUEST, 1, 5, secret, 0, 0, null)));
            long status = new HelloAck().wrap(g.read().payload()).status();
            assertEquals(i < 2 ? 0 : -XenErrno.EMFILE, status, "guest connection " + i);
        }
    }

    // ---- finding 6: replies before a fatal close -------------------------------------------------------------

    @Test
    void finding6_repliesOfRequestsThatRanComeBeforeTheFatalError() throws Exception {
        start(ServerLimits.defaults());
        AtomicLong calls = new AtomicLong();
        hv.core().registerHypercall(COUNTING_OP, (c, a) -> calls.incrementAndGet());
        RawClient c = connect();
        java.io.ByteArrayOutputStream wire = new java.io.ByteArrayOutputStream();
        wire.writeBytes(new Frame(FrameType.HELLO, 1, Hello.encode(Hello.ROLE_TOOLSTACK, 1, 0, null, 0, 0, null)).encode());
        for (int i = 0; i < 5; i++) wire.writeBytes(new Frame(FrameType.HYPERCALL, 2 + i, HypercallFrame.encode(COUNTING_OP)).encode());
        wire.writeBytes("GARBAGE GARBAGE GARBAGE!".getBytes());
        c.raw(wire.toByteArray());
        Frame ack = c.read();
        assertEquals(FrameType.HELLO_ACK, ack.type());
        for (int i = 0; i < 5; i++) {
            Frame r = c.read();
            assertEquals(FrameType.HYPERCALL_RET, r.type());
            assertEquals(2 + i, r.requestId());
            assertEquals(i + 1, r.status());
        }
        Frame err = c.read();
        assertEquals(FrameType.ERROR, err.type());
        assertEquals(-XenErrno.EBADMSG, err.error().errno());
        assertTrue(c.closedByServer());
        assertEquals(5, calls.get());
    }

    @Test
    void finding6_helloThenJunkGetsItsHelloAck() throws Exception {
        start(ServerLimits.defaults());
        RawClient c = connect();
        byte[] hello = new Frame(FrameType.HELLO, 7, Hello.encode(Hello.ROLE_TOOLSTACK, 1, 0, null, 0, 0, null)).encode();
        byte[] junk = new byte[64];
        java.util.Arrays.fill(junk, (byte) 0x5a);
        byte[] both = java.util.Arrays.copyOf(hello, hello.length + junk.length);
        System.arraycopy(junk, 0, both, hello.length, junk.length);
        c.raw(both);
        Frame ack = c.read();
        assertEquals(FrameType.HELLO_ACK, ack.type());
        assertEquals(7, ack.requestId());
        assertEquals(0, new HelloAck().wrap(ack.payload()).status());
        assertEquals(FrameType.ERROR, c.read().type());
        assertTrue(c.closedByServer());
    }

    /**
     * As above with the HELLO queued, not run on arrival: the frames before it in the same write use up the
     * connection's inline runs for this read, so the fatal junk is read while the HELLO still waits for its turn.
     * (The idle case above passes even if a fatal frame closed the connection at once; this one does not.)
     */
    @Test
    void finding6_aQueuedHelloThenJunkGetsItsHelloAck() throws Exception {
        start(ServerLimits.defaults());
        RawClient c = connect();
        java.io.ByteArrayOutputStream wire = new java.io.ByteArrayOutputStream();
        int early = org.fallow.hypervisor.core.Scheduler.MAX_INLINE_ALONE; // the only connection
        for (int i = 0; i < early; i++)  // each answered ERROR -EPERM (before HELLO_ACK), not fatal
            wire.writeBytes(new Frame(FrameType.HYPERCALL, 100 + i, HypercallFrame.encode(Hypercalls.MULTICALL, 0, 0)).encode());
        wire.writeBytes(new Frame(FrameType.HELLO, 7, Hello.encode(Hello.ROLE_TOOLSTACK, 1, 0, null, 0, 0, null)).encode());
        byte[] junk = new byte[64];
        java.util.Arrays.fill(junk, (byte) 0x5a);
        wire.writeBytes(junk);
        c.raw(wire.toByteArray());
        for (int i = 0; i < early; i++) {
            Frame r = c.read();
            assertEquals(FrameType.ERROR, r.type());
            assertEquals(100 + i, r.requestId());
            assertEquals(-XenErrno.EPERM, r.error().errno());
        }
        Frame ack = c.read();
        assertEquals(FrameType.HELLO_ACK, ack.type(), "the HELLO that was read before the junk is answered");
        assertEquals(7, ack.requestId());
        assertEquals(0, new HelloAck().wrap(ack.payload()).status());
        Frame err = c.read();
        assertEquals(FrameType.ERROR, err.type());
        assertEquals(-XenErrno.EBADMSG, err.error().errno());
        assertTrue(c.closedByServer());
    }

    // ---- finding 7: logs amplify attacks ------------------------------------------------------------------------

    @Test
    void finding7_repeatedBadFramesAreCountedNotEachLogged() throws Exception {
        start(ServerLimits.defaults());
        RawClient c = toolstack();
        int bad = 2000;
        for (int i = 0; i < bad; i++) {
            byte[] f = Frame.of(FrameType.BYE, 1000 + i).encode();
            new org.fallow.abi.wire.FrameHeader().wrap(f).type(77); // unknown type: ERROR -ENOSYS, connection kept
            c.raw(f);
            Frame r = c.read();
            assertEquals(FrameType.ERROR, r.type());
            assertEquals(-XenErrno.ENOSYS, r.error().errno());
        }
        assertEquals(bad, hv.server().badInputCount("rejected frame"), "every bad frame counted");
        assertTrue(hv.server().suppressedLogLines() >= bad - 10,
                "at most a burst of lines written, the rest counted: " + hv.server().suppressedLogLines() + " suppressed");
        assertVictimServed();
    }
}
