package org.fallow.hypervisor.testing;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.GuestAddressSpace;
import org.fallow.hypervisor.core.GuestFault;
import org.fallow.hypervisor.core.HypervisorCore;
import org.fallow.hypervisor.mem.MemConstants;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_CDF_hap;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_CDF_hvm;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_INTERFACE_VERSION;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_createdomain;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_max_mem;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_unpausedomain;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEMF_populate_on_demand;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_populate_physmap;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_set_pod_target;

/**
 * A toolstack (dom0) caller inside the hypervisor's JVM, for tests: a private hypercall-buffer arena at a fixed fake
 * address, and hypercalls issued through the core's hypercall table on its dispatch thread exactly as the wire server
 * does (the core needs {@code GenericHypercalls} installed for memory_op / domctl / sysctl).
 */
public final class InProcessToolstack implements AutoCloseable {
    public static final long ARENA_BASE = 0x7f00_0000_0000L;

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

    // ---- libxc-like helpers (the structs go to the start of the arena; extent lists at 4096) -----------------------

    /** xc_domain_create (HVM + HAP) followed by xc_domain_setmaxmem; returns the domid. */
    public int createHvmDomain(byte[] handle, int maxVcpus, long maxPages) {
        return createDomain(handle, XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap, maxVcpus,
                maxPages);
    }

    /** xc_domain_create with {@code flags} (XEN_DOMCTL_CDF_*) followed by xc_domain_setmaxmem; returns the domid. */
    public synchronized int createDomain(byte[] handle, int flags, int maxVcpus, long maxPages) {
        MemorySegment a = buf.asSlice(0, MemConstants.DOMCTL_SIZE);
        a.fill((byte) 0);
        a.set(U32_UNALIGNED, MemConstants.DOMCTL_CMD, XEN_DOMCTL_createdomain);
        a.set(U32_UNALIGNED, MemConstants.DOMCTL_INTERFACE_VERSION, XEN_DOMCTL_INTERFACE_VERSION);
        MemorySegment.copy(MemorySegment.ofArray(handle), 0, a, MemConstants.CREATE_HANDLE, 16);
        a.set(U32_UNALIGNED, MemConstants.CREATE_FLAGS, flags);
        a.set(U32_UNALIGNED, MemConstants.CREATE_MAX_VCPUS, maxVcpus);
        long rc = domctl(0);
        if (rc != 0) throw new IllegalStateException("createdomain: " + XenErrno.name(rc));
        int domid = Short.toUnsignedInt(a.get(U16_UNALIGNED, MemConstants.DOMCTL_DOMAIN));
        rc = domctl(XEN_DOMCTL_max_mem, domid, maxPages * 4);
        if (rc != 0) throw new IllegalStateException("max_mem: " + XenErrno.name(rc));
        return domid;
    }

    /** A domctl with no payload but {@code arg0} as its first u64 (max_mem's max_memkb). */
    public synchronized long domctl(int cmd, int domid, long arg0) {
        MemorySegment a = buf.asSlice(0, MemConstants.DOMCTL_SIZE);
        a.fill((byte) 0);
        a.set(U32_UNALIGNED, MemConstants.DOMCTL_CMD, cmd);
        a.set(U32_UNALIGNED, MemConstants.DOMCTL_INTERFACE_VERSION, XEN_DOMCTL_INTERFACE_VERSION);
        a.set(U16_UNALIGNED, MemConstants.DOMCTL_DOMAIN, (short) domid);
        a.set(U64_UNALIGNED, MemConstants.DOMCTL_U, arg0);
        return domctl(0);
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

    /** Writes a xen_memory_reservation at arena offset 0 and its extent list at 4096. */
    public synchronized void writeReservation(int domid, long[] extents, int order, int memFlags) {
        MemorySegment r = buf.asSlice(0, MemConstants.RES_SIZE);
        r.fill((byte) 0);
        r.set(U64_UNALIGNED, MemConstants.RES_EXTENT_START, handle(4096));
        r.set(U64_UNALIGNED, MemConstants.RES_NR_EXTENTS, extents.length);
        r.set(U32_UNALIGNED, MemConstants.RES_EXTENT_ORDER, order);
        r.set(U32_UNALIGNED, MemConstants.RES_MEM_FLAGS, memFlags);
        r.set(U16_UNALIGNED, MemConstants.RES_DOMID, (short) domid);
        for (int i = 0; i < extents.length; i++) buf.set(U64_UNALIGNED, 4096 + 8L * i, extents[i]);
    }

    /** set_pod_target; returns the rc. */
    public synchronized long setPodTarget(int domid, long targetPages) {
        MemorySegment t = buf.asSlice(0, MemConstants.POD_SIZE);
        t.fill((byte) 0);
        t.set(U64_UNALIGNED, MemConstants.POD_TARGET_PAGES, targetPages);
        t.set(U16_UNALIGNED, MemConstants.POD_DOMID, (short) domid);
        return memoryOp(XENMEM_set_pod_target, handle(0));
    }

    /**
     * xc_hvm_build_target_mem's memory layout: gfns [0, 0xA0) RAM, the VGA hole [0xA0, 0xC0) left out, the rest up
     * to {@code maxPages} RAM (no PoD, target == max) or populate-on-demand with the PoD target set to
     * {@code targetPages - 0x20}. Then unpauses the domain.
     */
    public void buildHvm(int domid, long maxPages, long targetPages) {
        boolean pod = targetPages < maxPages;
        long low = Math.min(0xA0, maxPages);
        populate(domid, 0, low, 0);
        if (maxPages > 0xC0) populate(domid, 0xC0, maxPages - 0xC0, pod ? XENMEMF_populate_on_demand : 0);
        if (pod) {
            long rc = setPodTarget(domid, targetPages - 0x20);
            if (rc != 0) throw new IllegalStateException("set_pod_target: " + XenErrno.name(rc));
        }
        long rc = domctl(XEN_DOMCTL_unpausedomain, domid, 0);
        if (rc != 0) throw new IllegalStateException("unpause: " + XenErrno.name(rc));
    }

    /** populate_physmap of gfns [first, first+n) in batches; throws unless every extent is done. */
    public void populate(int domid, long first, long n, int flags) {
        for (long done = 0; done < n; ) {
            int batch = (int) Math.min(n - done, 8192);
            long[] ext = new long[batch];
            for (int i = 0; i < batch; i++) ext[i] = first + done + i;
            long rc = reservation(XENMEM_populate_physmap, domid, ext, 0, flags);
            if (rc != batch) throw new IllegalStateException("populate_physmap: " + rc + " of " + batch + " extents");
            done += batch;
        }
    }

    @Override public void close() { arena.close(); }
}
