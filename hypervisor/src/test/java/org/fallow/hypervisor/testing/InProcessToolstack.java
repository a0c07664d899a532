package org.fallow.hypervisor.testing;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.abi.toolstack.HypercallPort;
import org.fallow.abi.toolstack.ToolstackCalls;
import org.fallow.abi.xen.XenDomctl;
import org.fallow.abi.xen.XenMemoryReservation;
import org.fallow.abi.xen.XenPodTarget;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.GuestAddressSpace;
import org.fallow.hypervisor.core.GuestFault;
import org.fallow.hypervisor.core.HypervisorCore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_CDF_hap;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_CDF_hvm;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_set_pod_target;

/**
 * A toolstack (dom0) caller inside the hypervisor's JVM, for tests: a private hypercall-buffer arena at a fixed fake
 * address, and hypercalls issued through the core's hypercall table on its dispatch thread exactly as the wire server
 * does (the core needs {@code GenericHypercalls} installed for memory_op / domctl / sysctl). Its libxc-like helpers
 * encode through {@link ToolstackCalls}, the toolstack encoder libxc-shim and the conformance suite use as well.
 */
public final class InProcessToolstack implements HypercallPort, AutoCloseable {
    public static final long ARENA_BASE = 0x7f00_0000_0000L;

    private final HypervisorCore core;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buf;
    private final Caller caller;
    private final ToolstackCalls calls = new ToolstackCalls(this);

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

    /**
     * Hypercall {@code op} as {@code who} through the core's hypercall table (args beyond those given are 0), with its
     * continuations if it yields (as the server runs it).
     */
    public long hypercall(Caller who, int op, long... args) {
        long[] a = java.util.Arrays.copyOf(args, 5);
        return onDispatch(() -> core.dispatchToCompletion(who, op, a));
    }

    /** Hypercall {@code op} as this toolstack. */
    public long hypercall(int op, long... args) { return hypercall(caller, op, args); }

    /** memory_op(cmd, handle) as {@code caller}. */
    public long memoryOp(Caller who, long cmd, long handle) { return hypercall(who, Hypercalls.MEMORY_OP, cmd, handle); }

    public long memoryOp(long cmd, long handle) { return memoryOp(caller, cmd, handle); }

    /** A domctl on the 144-byte {@code xen_domctl} at arena offset {@code off} (copied in, and back if asked). */
    public long domctl(long off) { return hypercall(Hypercalls.DOMCTL, handle(off)); }

    /** A sysctl on the 136-byte {@code xen_sysctl} at arena offset {@code off} (copied back when it returns 0). */
    public long sysctl(long off) { return hypercall(Hypercalls.SYSCTL, handle(off)); }

    /** hvm_op(op, handle). */
    public long hvmOp(Caller who, long op, long handle) { return hypercall(who, Hypercalls.HVM_OP, op, handle); }

    // ---- the toolstack encoder (abi's ToolstackCalls, as libxc-shim's XcDomain uses it) over this caller -----------

    /** Bytes lent out as scratch, from arena offset 0 (a stack: the encoder closes its scratch in reverse order). */
    private long scratchTop;

    /**
     * Scratch for {@link #calls()}: stacked from arena offset 0, so the struct of the last call (a getdomaininfo, a
     * pod target) is still at offset 0 when it returns, for tests to read.
     */
    @Override public synchronized HypercallPort.Scratch scratch(long size) {
        long off = (scratchTop + 63) & ~63L;
        if (size < 0 || off + size > buf.byteSize())
            throw new IllegalStateException("toolstack arena full: " + size + " bytes wanted at " + off);
        long previous = scratchTop;
        scratchTop = off + size;
        MemorySegment s = buf.asSlice(off, size);
        s.fill((byte) 0);
        return new HypercallPort.Scratch() {
            @Override public MemorySegment segment() { return s; }
            @Override public long handle() { return InProcessToolstack.handle(off); }
            @Override public void close() {
                synchronized (InProcessToolstack.this) { scratchTop = previous; }
            }
        };
    }

    @Override public long hypercall(long op, long... args) { return hypercall(caller, (int) op, args); }

    /** The one toolstack encoder over this in-process caller. */
    public ToolstackCalls calls() { return calls; }

    /** xc_domain_create (HVM + HAP) followed by xc_domain_setmaxmem; returns the domid. */
    public int createHvmDomain(byte[] handle, int maxVcpus, long maxPages) {
        return createDomain(handle, XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap, maxVcpus, maxPages);
    }

    /** xc_domain_create with {@code flags} (XEN_DOMCTL_CDF_*) followed by xc_domain_setmaxmem; returns the domid. */
    public synchronized int createDomain(byte[] handle, int flags, int maxVcpus, long maxPages) {
        long domid = ok("createdomain", unchecked(() -> calls.createDomain(0, handle, flags, maxVcpus)));
        ok("max_mem", unchecked(() -> calls.setMaxMem((int) domid, maxPages * 4)));
        return (int) domid;
    }

    /** A domctl with no payload but {@code arg0} as its first u64 (max_mem's max_memkb); the struct stays at offset 0. */
    public synchronized long domctl(int cmd, int domid, long arg0) {
        XenDomctl d = ToolstackCalls.newDomctl(cmd, domid);
        d.segment().set(U64_UNALIGNED, XenDomctl.U_OFFSET, arg0);
        return unchecked(() -> calls.domctl(d));
    }

    /** A reservation op on {@code domid} with the given extents; returns extents done. */
    public long reservation(int op, int domid, long[] extents, int order, int memFlags) {
        return reservation(caller, op, domid, extents, order, memFlags);
    }

    /**
     * memory_op({@code cmd}) as {@code who} on a xen_memory_reservation at arena offset 0 with the extents at 4096;
     * {@code cmd} may carry a continuation's start extent in its upper bits.
     */
    public synchronized long reservation(Caller who, long cmd, int domid, long[] extents, int order, int memFlags) {
        writeReservation(domid, extents, order, memFlags);
        return memoryOp(who, cmd, handle(0));
    }

    /**
     * Writes a xen_memory_reservation at arena offset 0 and its extent list at 4096 (fixed places, so that a test can
     * issue the memory_op as any caller, with any continuation bits, and read the list back).
     */
    public synchronized void writeReservation(int domid, long[] extents, int order, int memFlags) {
        new XenMemoryReservation().wrap(buf, 0).clear().extentStart(handle(4096)).nrExtents(extents.length)
                .extentOrder(order).memFlags(memFlags).domid(domid);
        for (int i = 0; i < extents.length; i++) buf.setAtIndex(U64_UNALIGNED, 4096 / 8 + i, extents[i]);
    }

    /** set_pod_target; returns the rc (the struct stays at offset 0). */
    public synchronized long setPodTarget(int domid, long targetPages) {
        return unchecked(() -> calls.podTarget(XENMEM_set_pod_target, domid, targetPages, new XenPodTarget()));
    }

    /**
     * xc_hvm_build_target_mem's memory layout ({@link ToolstackCalls#buildHvmMemory}: gfns [0, 0xA0) RAM, the VGA
     * hole [0xA0, 0xC0) left out, the rest up to {@code maxPages} RAM, or populate-on-demand with the PoD target set to
     * {@code targetPages - 0x20}), then unpauses the domain.
     */
    public synchronized void buildHvm(int domid, long maxPages, long targetPages) {
        ok("build", unchecked(() -> calls.buildHvmMemory(domid, maxPages, targetPages)));
        ok("unpause", unchecked(() -> calls.unpause(domid)));
    }

    /** populate_physmap of gfns [first, first+n) in batches; throws unless every extent is done. */
    public synchronized void populate(int domid, long first, long n, int flags) {
        ok("populate_physmap", unchecked(() -> calls.populateRange(domid, first, n, flags)));
    }

    private interface Call { long run() throws IOException; }

    private static long unchecked(Call c) {
        try {
            return c.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long ok(String what, long rc) {
        if (rc < 0) throw new IllegalStateException(what + ": " + XenErrno.name(rc));
        return rc;
    }

    @Override public void close() { arena.close(); }
}
