package org.fallow.abi.toolstack;

import static org.fallow.abi.xen.HvmOpConstants.HVMOP_get_param;
import static org.fallow.abi.xen.HvmOpConstants.HVMOP_set_param;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.DomctlConstants;
import org.fallow.abi.xen.MemoryOpConstants;
import org.fallow.abi.xen.SysctlConstants;
import org.fallow.abi.xen.XenDomctl;
import org.fallow.abi.xen.XenHvmParam;
import org.fallow.abi.xen.XenMemPagingOp;
import org.fallow.abi.xen.XenMemoryReservation;
import org.fallow.abi.xen.XenPodTarget;
import org.fallow.abi.xen.XenSysctl;

/**
 * The one toolstack encoder: how libxc lays out the domctls, sysctls, memory_ops and hvm_ops a toolstack issues, each
 * through its abi flyweight, over any {@link HypercallPort}. libxc-shim's {@code XcDomain}/{@code XcMemPaging} give
 * these calls their libxc names; the hypervisor tests' {@code InProcessToolstack} and the conformance suite's
 * {@code Toolstack} use them too, so a struct is encoded by one piece of code whoever sends it. Every call returns
 * Xen's value (a negated errno on failure), as the hypervisor answered it.
 */
public final class ToolstackCalls {
    /** The VGA hole of an HVM guest: gfns 0xA0-0xBF are left unpopulated. */
    public static final long VGA_HOLE_START = 0xA0, VGA_HOLE_END = 0xC0, VGA_HOLE_SIZE = VGA_HOLE_END - VGA_HOLE_START;
    /** Extents per populate_physmap call while building (libxc batches to stay preemptible). */
    public static final int BUILD_BATCH = 2048;

    private final HypercallPort port;

    public ToolstackCalls(HypercallPort port) { this.port = port; }

    public HypercallPort port() { return port; }

    /** A zeroed heap {@code xen_domctl} of {@code cmd} on {@code domid}, to fill and pass to {@link #domctl}. */
    public static XenDomctl newDomctl(long cmd, int domid) { return new XenDomctl().wrapNew().cmd(cmd).domain(domid); }

    // ---- domctl / sysctl: libxc's do_domctl / do_sysctl ------------------------------------------------------------

    /**
     * Sets the port's interface_version, bounces the 144-byte {@code domctl} through the arena, issues the hypercall
     * and copies the (possibly updated) struct back.
     */
    public long domctl(XenDomctl domctl) throws IOException {
        domctl.interfaceVersion(port.domctlInterfaceVersion());
        return bounce(Hypercalls.DOMCTL, domctl.slice());
    }

    /** As {@link #domctl} for the 136-byte xen_sysctl. */
    public long sysctl(XenSysctl sysctl) throws IOException {
        sysctl.interfaceVersion(SysctlConstants.XEN_SYSCTL_INTERFACE_VERSION);
        return bounce(Hypercalls.SYSCTL, sysctl.slice());
    }

    private long bounce(int op, MemorySegment struct) throws IOException {
        try (HypercallPort.Scratch b = port.scratch(struct.byteSize())) {
            b.segment().copyFrom(struct);
            long ret = port.hypercall(op, b.handle());
            struct.copyFrom(b.segment());
            return ret;
        }
    }

    /** A domctl that carries nothing but its command and domain. */
    public long domctl(long cmd, int domid) throws IOException { return domctl(newDomctl(cmd, domid)); }

    // ---- domain life cycle -----------------------------------------------------------------------------------------

    /**
     * createdomain: {@code domid} 0 lets Xen choose; {@code handle} is the 16-byte xen_domain_handle_t the guest
     * later presents as its secret; {@code flags} XEN_DOMCTL_CDF_*. Returns the new domid or a negated errno.
     */
    public long createDomain(int domid, byte[] handle, int flags, int maxVcpus) throws IOException {
        if (handle.length != 16) throw new IllegalArgumentException("handle must be 16 bytes");
        XenDomctl d = newDomctl(DomctlConstants.XEN_DOMCTL_createdomain, domid);
        d.createdomain().handle(handle).flags(flags).maxVcpus(maxVcpus).maxGrantFrames(-1).maxMaptrackFrames(-1);
        long rc = domctl(d);
        return rc < 0 ? rc : d.domain();
    }

    /** max_mem: {@code maxMemKb} in KiB. */
    public long setMaxMem(int domid, long maxMemKb) throws IOException {
        XenDomctl d = newDomctl(DomctlConstants.XEN_DOMCTL_max_mem, domid);
        d.maxMem().maxMemkb(maxMemKb);
        return domctl(d);
    }

    public long destroy(int domid) throws IOException { return domctl(DomctlConstants.XEN_DOMCTL_destroydomain, domid); }

    public long pause(int domid) throws IOException { return domctl(DomctlConstants.XEN_DOMCTL_pausedomain, domid); }

    public long unpause(int domid) throws IOException { return domctl(DomctlConstants.XEN_DOMCTL_unpausedomain, domid); }

    /** vm_event_op {@code op} in {@code mode}; {@code out} holds the copied-back domctl (its {@code port}). */
    public long vmEventOp(int domid, int op, int mode, XenDomctl out) throws IOException {
        XenDomctl d = out.wrapNew().cmd(DomctlConstants.XEN_DOMCTL_vm_event_op).domain(domid);
        d.vmEventOp().op(op).mode(mode);
        return domctl(d);
    }

    // ---- memory_op -------------------------------------------------------------------------------------------------

    /**
     * A reservation op ({@code cmd} may carry a continuation's start extent in its upper bits): a
     * {@code xen_memory_reservation} of {@code nrExtents} extents of {@code order}, with {@code extents} (may be null,
     * as for increase_reservation) as its xen_pfn_t list. Returns the extents done or a negated errno.
     */
    public long reservation(long cmd, int domid, long nrExtents, int order, int memFlags, long[] extents) throws IOException {
        try (HypercallPort.Scratch r = port.scratch(XenMemoryReservation.SIZE);
             HypercallPort.Scratch list = extents == null ? null : port.scratch(Math.max(8, 8L * extents.length))) {
            XenMemoryReservation res = new XenMemoryReservation().wrap(r.segment(), 0).clear();
            if (list != null) {
                for (int i = 0; i < extents.length; i++) list.segment().setAtIndex(U64_UNALIGNED, i, extents[i]);
                res.extentStart(list.handle());
            }
            res.nrExtents(nrExtents).extentOrder(order).memFlags(memFlags).domid(domid);
            return port.hypercall(Hypercalls.MEMORY_OP, cmd, r.handle());
        }
    }

    /** populate_physmap of {@code gfns}, order 0: extents done or a negated errno. */
    public long populate(int domid, int memFlags, long... gfns) throws IOException {
        return reservation(MemoryOpConstants.XENMEM_populate_physmap, domid, gfns.length, 0, memFlags, gfns);
    }

    /** populate_physmap of gfns [first, first + n) in {@link #BUILD_BATCH} batches: 0, or -ENOMEM / a negated errno. */
    public long populateRange(int domid, long first, long n, int memFlags) throws IOException {
        for (long done = 0; done < n; ) {
            int batch = (int) Math.min(BUILD_BATCH, n - done);
            long[] gfns = new long[batch];
            for (int i = 0; i < batch; i++) gfns[i] = first + done + i;
            long rc = populate(domid, memFlags, gfns);
            if (rc != batch) return rc < 0 ? rc : -XenErrno.ENOMEM;
            done += batch;
        }
        return 0;
    }

    /** set_pod_target / get_pod_target ({@code op}); {@code out} receives the struct as Xen left it. */
    public long podTarget(int op, int domid, long targetPages, XenPodTarget out) throws IOException {
        try (HypercallPort.Scratch b = port.scratch(XenPodTarget.SIZE)) {
            new XenPodTarget().wrap(b.segment(), 0).clear().targetPages(targetPages).domid(domid);
            long rc = port.hypercall(Hypercalls.MEMORY_OP, op, b.handle());
            out.wrapNew().fromBytes(b.segment().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            return rc;
        }
    }

    /**
     * The memory of xc_hvm_build_target_mem (2009 libxc): gfns [0, 0xA0) populated as RAM, the VGA hole [0xA0, 0xC0)
     * left out, [0xC0, nrPages) populated (target == nrPages) or marked populate-on-demand in superpage extents
 * ({@link #markPodRange}; target &lt; nrPages), then
     * the PoD target set to target − 0x20 pages "for the VGA hole". Returns 0 or a negated errno.
     */
    public long buildHvmMemory(int domid, long nrPages, long targetPages) throws IOException {
        boolean pod = targetPages < nrPages;
        long rc = populateRange(domid, 0, Math.min(VGA_HOLE_START, nrPages), 0);
        if (rc != 0) return rc;
        if (nrPages > VGA_HOLE_END) {
            rc = pod ? markPodRange(domid, VGA_HOLE_END, nrPages - VGA_HOLE_END) : populateRange(domid, VGA_HOLE_END, nrPages - VGA_HOLE_END, 0);
            if (rc != 0) return rc;
        }
        return pod ? podTarget(MemoryOpConstants.XENMEM_set_pod_target, domid, targetPages - VGA_HOLE_SIZE, new XenPodTarget()) : 0;
    }

    /** libxc's superpage orders: 1 GiB (SUPERPAGE_1GB_SHIFT) and 2 MiB (SUPERPAGE_2MB_SHIFT) extents, then 4 KiB. */
    private static final int[] POD_ORDERS = {18, 9, 0};

    /**
     * Marks [first, first + n) populate-on-demand as libxc's meminit_hvm does: each extent the largest of 1 GiB,
     * 2 MiB or 4 KiB that is aligned at its gfn and fits, runs of one order going in one populate_physmap (at most
     * {@link #BUILD_BATCH} extents), so the number of hypercalls and extents does not grow with the guest's size.
     * Returns 0, or -ENOMEM / a negated errno.
     */
    public long markPodRange(int domid, long first, long n) throws IOException {
        long end = first + n;
        for (long g = first; g < end; ) {
            int order = orderAt(g, end);
            long size = 1L << order;
            long[] run = new long[BUILD_BATCH];
            int count = 0;
            while (count < BUILD_BATCH && g < end && orderAt(g, end) == order) {
                run[count++] = g;
                g += size;
            }
            long[] gfns = java.util.Arrays.copyOf(run, count);
            long rc = reservation(MemoryOpConstants.XENMEM_populate_physmap, domid, count, order,
                    MemoryOpConstants.XENMEMF_populate_on_demand, gfns);
            if (rc != count) return rc < 0 ? rc : -XenErrno.ENOMEM;
        }
        return 0;
    }

    /** The largest of {@link #POD_ORDERS} aligned at {@code g} that ends by {@code end}. */
    private static int orderAt(long g, long end) {
        for (int o : POD_ORDERS) if ((g & ((1L << o) - 1)) == 0 && g + (1L << o) <= end) return o;
        return 0;
    }

    /** XENMEM_paging_op {@code op} with {@code struct xen_mem_paging_op}; {@code buffer} is used by prep only. */
    public long pagingOp(int op, int domid, long gfn, long buffer) throws IOException {
        try (HypercallPort.Scratch b = port.scratch(XenMemPagingOp.SIZE)) {
            new XenMemPagingOp().wrap(b.segment(), 0).clear().op(op).domain(domid).buffer(buffer).gfn(gfn);
            return port.hypercall(Hypercalls.MEMORY_OP, MemoryOpConstants.XENMEM_paging_op, b.handle());
        }
    }

    // ---- hvm_op ----------------------------------------------------------------------------------------------------

    /** HVMOP_set_param: 0 or a negated errno. */
    public long setHvmParam(int domid, int index, long value) throws IOException {
        try (HypercallPort.Scratch b = port.scratch(XenHvmParam.SIZE)) {
            new XenHvmParam().wrap(b.segment(), 0).clear().domid(domid).index(index).value(value);
            return port.hypercall(Hypercalls.HVM_OP, HVMOP_set_param, b.handle());
        }
    }

    /** HVMOP_get_param: the value, or a negated errno. */
    public long getHvmParam(int domid, int index) throws IOException {
        try (HypercallPort.Scratch b = port.scratch(XenHvmParam.SIZE)) {
            XenHvmParam p = new XenHvmParam().wrap(b.segment(), 0).clear().domid(domid).index(index);
            long rc = port.hypercall(Hypercalls.HVM_OP, HVMOP_get_param, b.handle());
            return rc < 0 ? rc : p.value();
        }
    }
}
