package org.fallow.hypervisor.tmem;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.GuestAddressSpace;
import org.fallow.hypervisor.core.GuestFault;
import org.fallow.hypervisor.core.HostMemory;
import org.fallow.hypervisor.core.HypervisorCore;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * A {@link HypervisorCore} with only the tmem subsystem installed, fake domains whose guest-physical memory is a
 * {@link MemorySegment} (handles = guest-physical addresses, as in the wire protocol), and a toolstack arena.
 * Hypercalls go through {@link HypervisorCore#dispatch} on its dispatch thread, as the network layer does.
 */
final class InProcessHypervisor implements AutoCloseable {
    final HypervisorCore core;
    final TmemSubsystem tmem;
    final MemorySegment arena = Arena.ofAuto().allocate(1 << 20, 4096);
    static final long ARENA_BASE = 0x7f0000000000L;

    InProcessHypervisor(long hostPages) {
        core = new HypervisorCore(new HostMemory(hostPages));
        tmem = new TmemSubsystem(new TmemEngine.Config(true, false, System::nanoTime));
        tmem.install(core);
    }

    /** Creates domain {@code domid} with {@code frames} frames of RAM (max_pages = maxPages). */
    FakeDomainMemory createDomain(int domid, int frames, long maxPages) {
        Domain d = new Domain(domid, new byte[16], 1);
        FakeDomainMemory m = new FakeDomainMemory(core.host(), frames, maxPages, 0);
        d.memory(m);
        d.state(Domain.State.RUNNING);
        core.domains().add(d);
        return m;
    }

    static GuestAddressSpace space(MemorySegment mem, long base) {
        return (h, len) -> {
            long off = h - base;
            if (h == 0 || off < 0 || len < 0 || off + len > mem.byteSize()) throw new GuestFault(h, len, "out of range");
            return mem.asSlice(off, len);
        };
    }

    Caller guest(int domid, AbiProfile profile) {
        FakeDomainMemory m = (FakeDomainMemory) core.domains().get(domid).memory();
        return Caller.guest(domid, profile, space(m.ram, 0));
    }

    Caller toolstack(AbiProfile profile) { return Caller.toolstack(profile, space(arena, ARENA_BASE)); }

    /** Runs one hypercall on the dispatch thread and waits for its result. */
    long hypercall(Caller c, int op, long... args) {
        long[] a = new long[5];
        System.arraycopy(args, 0, a, 0, args.length);
        Future<Long> f = core.dispatcher().submit(() -> core.dispatch(c, op, a));
        try {
            return f.get();
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    long tmemOp(Caller c, long handle) { return hypercall(c, Hypercalls.TMEM_OP, handle); }

    /** Runs {@code r} on the dispatch thread (engine inspection from tests). */
    <T> T onDispatch(java.util.concurrent.Callable<T> r) {
        try {
            return core.dispatcher().submit(r).get();
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override public void close() { core.close(); }
}
