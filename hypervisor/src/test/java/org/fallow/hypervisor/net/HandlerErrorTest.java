package org.fallow.hypervisor.net;

import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameType;
import org.fallow.abi.wire.Hello;
import org.fallow.abi.wire.HelloAck;
import org.fallow.abi.wire.HypercallFrame;
import org.fallow.abi.wire.MemFault;
import org.fallow.abi.xen.MulticallEntry;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.RequestFailure;
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
import java.util.concurrent.atomic.AtomicLong;

import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.junit.jupiter.api.Assertions.*;

/**
 * An {@link Error} escaping a handler (a real StackOverflowError from runaway recursion, a real OutOfMemoryError from
 * an impossible allocation) fails that one request with -EFAULT, is logged (rate-limited) and counted, and the server
 * goes on serving the same connection and every other one.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HandlerErrorTest {
    private static final int OVERFLOW_OP = 41;
    private static final int OOM_OP = 42;
    private static final int COUNTING_OP = 40;
    private static final long ARENA_BASE = 0x1000_0000L;

    private ServedHypervisor hv;
    private final AtomicLong calls = new AtomicLong();

    private static long recurse(long depth) { return recurse(depth + 1) + 1; }

    @BeforeEach
    void start() throws Exception {
        hv = ServedHypervisor.start(64, ServerLimits.defaults());
        hv.core().registerHypercall(OVERFLOW_OP, (c, a) -> recurse(0));
        hv.core().registerHypercall(OOM_OP, (c, a) -> new long[Integer.MAX_VALUE].length);
        hv.core().registerHypercall(COUNTING_OP, (c, a) -> calls.incrementAndGet());
    }

    @AfterEach void stop() { if (hv != null) hv.close(); }

    private RawClient toolstack(Path arena, long len) throws Exception {
        RawClient c = new RawClient(hv.server().socket());
        c.send(new Frame(FrameType.HELLO, 1, Hello.encode(Hello.ROLE_TOOLSTACK, 1, 0, null,
                arena == null ? 0 : ARENA_BASE, len, arena == null ? null : arena.toString())));
        assertEquals(0, new HelloAck().wrap(c.read().payload()).status());
        return c;
    }

    private static long call(RawClient c, long id, long op, long... args) throws Exception {
        c.send(new Frame(FrameType.HYPERCALL, id, HypercallFrame.encode(op, args)));
        Frame r = c.read();
        assertEquals(FrameType.HYPERCALL_RET, r.type());
        assertEquals(id, r.requestId());
        return r.status();
    }

    @Test
    void aStackOverflowOrOutOfMemoryInAHypercallIsEfaultAndServingGoesOn() throws Exception {
        long failuresBefore = RequestFailure.count();
        try (RawClient c = toolstack(null, 0); RawClient other = toolstack(null, 0)) {
            assertEquals(-XenErrno.EFAULT, call(c, 2, OVERFLOW_OP));
            assertEquals(1, call(c, 3, COUNTING_OP), "the same connection is served after the StackOverflowError");
            assertEquals(-XenErrno.EFAULT, call(c, 4, OOM_OP));
            assertEquals(2, call(c, 5, COUNTING_OP), "the same connection is served after the OutOfMemoryError");
            assertEquals(3, call(other, 2, COUNTING_OP), "another connection is served");
        }
        assertEquals(2, RequestFailure.count() - failuresBefore, "both failures counted");
    }

    @Test
    void anErrorInOneMulticallEntryFailsThatEntryOnly() throws Exception {
        long bytes = 4096; // an arena is whole pages
        Path arena = hv.dir().resolve("mc.arena");
        try (RandomAccessFile f = new RandomAccessFile(arena.toFile(), "rw"); Arena a = Arena.ofConfined()) {
            f.setLength(bytes);
            MemorySegment list = f.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, bytes, a);
            long[] ops = {COUNTING_OP, OVERFLOW_OP, COUNTING_OP};
            for (int i = 0; i < ops.length; i++) list.set(U64_UNALIGNED, (long) i * MulticallEntry.SIZE + MulticallEntry.OP_OFFSET, ops[i]);
            try (RawClient c = toolstack(arena, bytes)) {
                assertEquals(0, call(c, 2, Hypercalls.MULTICALL, ARENA_BASE, 3));
                assertEquals(1, list.get(U64_UNALIGNED, MulticallEntry.RESULT_OFFSET));
                assertEquals(-XenErrno.EFAULT, list.get(U64_UNALIGNED, MulticallEntry.SIZE + MulticallEntry.RESULT_OFFSET));
                assertEquals(2, list.get(U64_UNALIGNED, 2L * MulticallEntry.SIZE + MulticallEntry.RESULT_OFFSET));
            }
        }
    }

    @Test
    void anErrorInTheFaultHandlerIsFaultDoneEfault() throws Exception {
        byte[] secret = "0123456789abcdef".getBytes();
        hv.core().dispatcher().submit(() -> hv.core().domains().add(new Domain(7, secret, 1))).get();
        hv.core().faultHandler((d, gfn, write, vcpu, reply) -> recurse(gfn));
        try (RawClient g = new RawClient(hv.server().socket()); RawClient t = toolstack(null, 0)) {
            g.send(new Frame(FrameType.HELLO, 1, Hello.encode(Hello.ROLE_GUEST, 1, 7, secret, 0, 0, null)));
            assertEquals(0, new HelloAck().wrap(g.read().payload()).status());
            g.send(new Frame(FrameType.MEM_FAULT, 2, MemFault.encode(0x10, true, 0)));
            Frame r = g.read();
            assertEquals(FrameType.FAULT_DONE, r.type());
            assertEquals(2, r.requestId());
            assertEquals(-XenErrno.EFAULT, r.status());
            assertEquals(1, call(t, 2, COUNTING_OP), "the server goes on");
        }
    }
}
