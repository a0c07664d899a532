package org.fallow.guest.it;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.GuestAddressSpace;
import org.fallow.hypervisor.core.GuestFault;
import org.fallow.hypervisor.core.HypervisorCore;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

/** A dom0 caller in this JVM: a hypercall-buffer arena at a fake address; hypercalls run on the dispatch thread. */
final class TestToolstack implements AutoCloseable {
    static final long ARENA_BASE = 0x7f00_0000_0000L;
    private final HypervisorCore core;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buf;
    private final Caller caller;

    TestToolstack(HypervisorCore core, long bytes) {
        this.core = core;
        this.buf = arena.allocate(bytes, 4096);
        GuestAddressSpace space = (handle, len) -> {
            long off = handle - ARENA_BASE;
            if (handle == 0 || len < 0 || off < 0 || off > buf.byteSize() || len > buf.byteSize() - off)
                throw new GuestFault(handle, len, "outside the toolstack arena");
            return buf.asSlice(off, len);
        };
        this.caller = Caller.toolstack(AbiProfile.XEN_4_12, space);
    }

    MemorySegment arena() { return buf; }

    static long handle(long off) { return ARENA_BASE + off; }

    <T> T onDispatch(Callable<T> task) {
        try {
            return core.dispatcher().submit(task).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    long hypercall(int op, long... args) {
        long[] a = java.util.Arrays.copyOf(args, 5);
        return onDispatch(() -> core.dispatch(caller, op, a));
    }

    long memoryOp(long cmd, long handle) { return hypercall(Hypercalls.MEMORY_OP, cmd, handle); }

    long domctl(long off) { return hypercall(Hypercalls.DOMCTL, handle(off)); }

    long sysctl(long off) { return hypercall(Hypercalls.SYSCTL, handle(off)); }

    @Override public void close() { arena.close(); }
}
