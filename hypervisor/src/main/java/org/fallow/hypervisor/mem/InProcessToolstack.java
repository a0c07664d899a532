package org.fallow.hypervisor.mem;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.ControlOp;
import org.fallow.hypervisor.core.GuestAddressSpace;
import org.fallow.hypervisor.core.GuestFault;
import org.fallow.hypervisor.core.HypercallHandler;
import org.fallow.hypervisor.core.HypervisorCore;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

/**
 * A toolstack (dom0) caller inside the hypervisor's JVM, for tests and embedded use: a private hypercall-buffer
 * arena at a fixed fake address, and memory_op / domctl / sysctl issued on the dispatch thread exactly as the wire
 * server does (domctl copy-back when asked, sysctl copy-back on 0).
 */
public final class InProcessToolstack implements AutoCloseable {
    public static final long ARENA_BASE = 0x7f00_0000_0000L;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final HypervisorCore core;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buf;
    private final Caller caller;

    public InProcessToolstack(HypervisorCore core, long arenaBytes) {
        this.core = core;
        this.buf = arena.allocate(arenaBytes, 4096);
        GuestAddressSpace space = (handle, len) -> {
            long off = handle - ARENA_BASE;
            if (handle == 0 || len < 0 || off < 0 || off > buf.byteSize() || len > buf.byteSize() - off)
                throw new GuestFault(handle, len, "outside the toolstack arena");
            return buf.asSlice(off, len);
        };
        this.caller = Caller.toolstack(AbiProfile.XEN_4_12, space);
    }

    public Caller caller() { return caller; }

    /** The arena; handle of byte {@code off} is {@code ARENA_BASE + off}. */
    public MemorySegment arena() { return buf; }

    public static long handle(long off) { return ARENA_BASE + off; }

    /** Runs {@code task} on the dispatch thread and waits for it. */
    public <T> T onDispatch(Callable<T> task) {
        try {
            return core.dispatcher().submit(task).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** memory_op(cmd, handle) as {@code caller}. */
    public long memoryOp(Caller who, long cmd, long handle) {
        return onDispatch(() -> {
            HypercallHandler h = core.memoryOps().get((int) (cmd & MemConstants.MEMOP_CMD_MASK));
            return h == null ? -XenErrno.ENOSYS : h.invoke(who, new long[] {cmd, handle, 0, 0, 0});
        });
    }

    public long memoryOp(long cmd, long handle) { return memoryOp(caller, cmd, handle); }

    /** A domctl on the 144-byte {@code xen_domctl} at arena offset {@code off} (copied in, and back if asked). */
    public long domctl(long off) {
        return onDispatch(() -> {
            MemorySegment priv = Arena.ofAuto().allocate(MemConstants.DOMCTL_SIZE);
            priv.copyFrom(buf.asSlice(off, MemConstants.DOMCTL_SIZE));
            ControlOp op = new ControlOp(caller, priv);
            ControlOp.Handler h = core.domctls().get(priv.get(U32, 0));
            long rc = h == null ? -XenErrno.ENOSYS : h.invoke(op);
            if (op.copyBackRequested()) buf.asSlice(off, MemConstants.DOMCTL_SIZE).copyFrom(priv);
            return rc;
        });
    }

    /** A sysctl on the 136-byte {@code xen_sysctl} at arena offset {@code off} (copied back when it returns 0). */
    public long sysctl(long off) {
        return onDispatch(() -> {
            MemorySegment priv = Arena.ofAuto().allocate(136);
            priv.copyFrom(buf.asSlice(off, 136));
            ControlOp.Handler h = core.sysctls().get(priv.get(U32, 0));
            long rc = h == null ? -XenErrno.ENOSYS : h.invoke(new ControlOp(caller, priv));
            if (rc == 0) buf.asSlice(off, 136).copyFrom(priv);
            return rc;
        });
    }

    /** hvm_op(op, handle). */
    public long hvmOp(Caller who, long op, long handle) {
        return onDispatch(() -> core.dispatch(who, org.fallow.abi.Hypercalls.HVM_OP, new long[] {op, handle, 0, 0, 0}));
    }

    @Override public void close() { arena.close(); }
}
