package org.fallow.hypervisor.net;

import org.fallow.abi.Hypercalls;
import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameType;
import org.fallow.abi.wire.Hello;
import org.fallow.abi.wire.HelloAck;
import org.fallow.abi.wire.HypercallFrame;
import org.fallow.abi.xen.MulticallEntry;
import org.fallow.hypervisor.testing.ServedHypervisor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Continuations over the wire, made deterministic with {@code Preemption.yieldEvery}: a multicall that yields after
 * every few entries, and a sub-call that itself yields, give the same results as an uninterrupted run, and the client
 * sees one HYPERCALL_RET.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ContinuationTest {
    private static final long BASE = 0x2000_0000L;
    private static final int DOUBLE_OP = 40;
    private static final int COUNTDOWN_OP = 41;

    private ServedHypervisor hv;
    private Arena arena;
    private MemorySegment list;
    private Path file;

    @BeforeEach
    void start() throws Exception {
        hv = ServedHypervisor.start(64);
        hv.core().registerHypercall(DOUBLE_OP, (c, a) -> 2 * a[0]);
        // yields after each unit of work, resuming with one unit less: returns 100 + the units it was given
        AtomicInteger invocations = new AtomicInteger();
        hv.core().registerHypercall(COUNTDOWN_OP, (c, a) -> {
            invocations.incrementAndGet();
            long left = a[0];
            long total = a[1];
            while (left > 0) {
                left--;
                if (left > 0 && hv.core().preemptCheck()) return hv.core().createContinuation(COUNTDOWN_OP, left, total);
            }
            return 100 + total;
        });
        file = hv.dir().resolve("list.arena");
        arena = Arena.ofShared();
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(1 << 20);
            list = f.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, 1 << 20, arena);
        }
    }

    @AfterEach
    void stop() throws Exception {
        hv.close();
        arena.close();
    }

    private RawClient toolstack() throws Exception {
        RawClient c = new RawClient(hv.server().socket());
        c.send(new Frame(FrameType.HELLO, 1, Hello.encode(Hello.ROLE_TOOLSTACK, 1, 0, null, BASE, 1 << 20, file.toString())));
        assertEquals(0, new HelloAck().wrap(c.read().payload()).status());
        return c;
    }

    private void entry(int i, long op, long... args) {
        long base = (long) i * MulticallEntry.SIZE;
        list.set(U64_UNALIGNED, base + MulticallEntry.OP_OFFSET, op);
        list.set(U64_UNALIGNED, base + MulticallEntry.RESULT_OFFSET, 0xdeadL);
        for (int a = 0; a < args.length; a++) list.set(U64_UNALIGNED, base + MulticallEntry.ARGS_OFFSET + 8L * a, args[a]);
    }

    private long result(int i) { return list.get(U64_UNALIGNED, (long) i * MulticallEntry.SIZE + MulticallEntry.RESULT_OFFSET); }

    private long arg(int i, int a) { return list.get(U64_UNALIGNED, (long) i * MulticallEntry.SIZE + MulticallEntry.ARGS_OFFSET + 8L * a); }

    private void yieldEvery(int n) throws Exception { hv.core().dispatcher().submit(() -> hv.core().preemption().yieldEvery(n)).get(); }

    @Test
    void aMulticallThatYieldsEveryFewEntriesGivesEveryResultOnce() throws Exception {
        int n = 1000;
        for (int i = 0; i < n; i++) entry(i, DOUBLE_OP, i);
        yieldEvery(7);
        try (RawClient c = toolstack()) {
            c.send(new Frame(FrameType.HYPERCALL, 5, HypercallFrame.encode(Hypercalls.MULTICALL, BASE, n)));
            Frame r = c.read();
            assertEquals(FrameType.HYPERCALL_RET, r.type());
            assertEquals(5, r.requestId());
            assertEquals(0, r.status());
        }
        for (int i = 0; i < n; i++) assertEquals(2L * i, result(i), "entry " + i);
        assertTrue(hv.server().stats().continuations >= n / 7 - 1, "continuations: " + hv.server().stats().continuations);
    }

    @Test
    void aSubCallThatYieldsHasItsArgumentsRewrittenAndIsResumed() throws Exception {
        entry(0, DOUBLE_OP, 21);
        entry(1, COUNTDOWN_OP, 5, 5);
        entry(2, DOUBLE_OP, 4);
        yieldEvery(2);
        try (RawClient c = toolstack()) {
            c.send(new Frame(FrameType.HYPERCALL, 6, HypercallFrame.encode(Hypercalls.MULTICALL, BASE, 3)));
            assertEquals(0, c.read().status());
            // a request behind it on the same connection is answered after it (order kept across continuations)
            c.send(new Frame(FrameType.HYPERCALL, 7, HypercallFrame.encode(DOUBLE_OP, 8)));
            Frame r = c.read();
            assertEquals(7, r.requestId());
            assertEquals(16, r.status());
        }
        assertEquals(42, result(0));
        assertEquals(105, result(1), "the countdown finished with its original total");
        assertTrue(arg(1, 0) < 5, "the entry holds the arguments of its last continuation (as Xen writes them back)");
        assertEquals(8, result(2));
    }

    @Test
    void withoutPreemptionTheSameMulticallRunsInOneGo() throws Exception {
        int n = 100;
        for (int i = 0; i < n; i++) entry(i, DOUBLE_OP, i + 1);
        hv.core().dispatcher().submit(() -> hv.core().preemption().sliceNanos(Long.MAX_VALUE / 2)).get();
        try (RawClient c = toolstack()) {
            c.send(new Frame(FrameType.HYPERCALL, 5, HypercallFrame.encode(Hypercalls.MULTICALL, BASE, n)));
            assertEquals(0, c.read().status());
        }
        for (int i = 0; i < n; i++) assertEquals(2L * (i + 1), result(i));
        assertEquals(0, hv.server().stats().continuations, "a slice that never ends: no continuation");
    }
}
