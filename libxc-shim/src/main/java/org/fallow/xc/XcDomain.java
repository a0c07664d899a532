package org.fallow.xc;

import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.abi.toolstack.ToolstackCalls;
import org.fallow.abi.xen.DomctlConstants;
import org.fallow.abi.xen.MemoryOpConstants;
import org.fallow.abi.xen.XenDomctl;
import org.fallow.abi.xen.XenDomctlGetdomaininfo;
import org.fallow.abi.xen.SysctlConstants;
import org.fallow.abi.xen.XenPodTarget;
import org.fallow.abi.xen.XenSysctl;
import org.fallow.xc.transport.HypercallBuffer;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;
import static org.fallow.abi.xen.HvmOpConstants.HVM_PARAM_PAGING_RING_PFN;

/**
 * libxc's xc_domain.c and the memory part of xc_hvm_build over an {@link XcHandle}: the libxc names of the one
 * toolstack encoder, {@link ToolstackCalls} (abi), which the in-process and conformance toolstacks share. Like the other xc classes here,
 * calls return Xen's value (a negated errno on failure) rather than libxc's -1/errno; reservation calls return the
 * number of extents done, and the {@code _exact} variants return 0 only if all of them were.
 */
public final class XcDomain {
    /** The VGA hole of an HVM guest: gfns 0xA0-0xBF are left unpopulated. */
    public static final long VGA_HOLE_START = ToolstackCalls.VGA_HOLE_START, VGA_HOLE_END = ToolstackCalls.VGA_HOLE_END,
            VGA_HOLE_SIZE = ToolstackCalls.VGA_HOLE_SIZE;

    /** One xen_domctl_getdomaininfo. */
    public record DomainInfo(int domid, int flags, long totPages, long maxPages, long outstandingPages, long pagedPages,
                             int onlineVcpus, byte[] handle, long cpuTimeNs) {
        public DomainInfo(int domid, int flags, long totPages, long maxPages, long outstandingPages, long pagedPages,
                          int onlineVcpus, byte[] handle) {
            this(domid, flags, totPages, maxPages, outstandingPages, pagedPages, onlineVcpus, handle, 0);
        }

        public boolean dying() { return (flags & DomctlConstants.XEN_DOMINF_dying) != 0; }
        public boolean paused() { return (flags & DomctlConstants.XEN_DOMINF_paused) != 0; }
        public boolean shutdown() { return (flags & DomctlConstants.XEN_DOMINF_shutdown) != 0; }
        public boolean hvm() { return (flags & DomctlConstants.XEN_DOMINF_hvm_guest) != 0; }
        public int shutdownReason() { return (flags >>> DomctlConstants.XEN_DOMINF_shutdownshift) & DomctlConstants.XEN_DOMINF_shutdownmask; }
        /** Shut down with SHUTDOWN_crash (3). */
        public boolean crashed() { return shutdown() && shutdownReason() == DomctlConstants.SHUTDOWN_crash; }
        public String handleHex() { return HexFormat.of().formatHex(handle); }

        /** xl list's state column: r b p s c d. */
        public String stateString() {
            return ((flags & DomctlConstants.XEN_DOMINF_running) != 0 ? "r" : "-")
                    + ((flags & DomctlConstants.XEN_DOMINF_blocked) != 0 ? "b" : "-")
                    + (paused() ? "p" : "-") + (shutdown() && !crashed() ? "s" : "-") + (crashed() ? "c" : "-")
                    + (dying() ? "d" : "-");
        }
    }

    /** The OUT fields of xen_pod_target, with the call's return value. */
    public record PodTarget(long rc, long totPages, long podCachePages, long podEntries) {}

    private final XcHandle xc;
    private final ToolstackCalls calls;

    public XcDomain(XcHandle xc) {
        this.xc = xc;
        this.calls = xc.calls();
    }

    // ---- life cycle ------------------------------------------------------------------------------------------------

    /**
     * xc_domain_create: {@code domid} 0 lets Xen choose; {@code handle} is the 16-byte xen_domain_handle_t the guest
     * later presents as its secret. Returns the new domid or a negated errno.
     */
    public long xc_domain_create(int domid, byte[] handle, int flags, int maxVcpus) throws IOException {
        return calls.createDomain(domid, handle, flags, maxVcpus);
    }

    /** An HVM guest with hardware-assisted paging, as xl creates for type="hvm". */
    public long xc_domain_create_hvm(byte[] handle, int maxVcpus) throws IOException {
        return xc_domain_create(0, handle, DomctlConstants.XEN_DOMCTL_CDF_hvm | DomctlConstants.XEN_DOMCTL_CDF_hap, maxVcpus);
    }

    public long xc_domain_destroy(int domid) throws IOException { return calls.destroy(domid); }

    public long xc_domain_pause(int domid) throws IOException { return calls.pause(domid); }

    public long xc_domain_unpause(int domid) throws IOException { return calls.unpause(domid); }

    /** xc_domain_setmaxmem: max_memkb in KiB. */
    public long xc_domain_setmaxmem(int domid, long maxMemKb) throws IOException { return calls.setMaxMem(domid, maxMemKb); }

    /**
     * xc_domain_getinfo: up to {@code max} domains with id ≥ {@code first}, walking getdomaininfo as libxc does (each
     * call returns the next existing domain).
     */
    public List<DomainInfo> xc_domain_getinfo(int first, int max) throws IOException {
        List<DomainInfo> out = new ArrayList<>();
        int next = first;
        while (out.size() < max && next < Hypercalls.DOMID_FIRST_RESERVED) {
            XenDomctl d = ToolstackCalls.newDomctl(DomctlConstants.XEN_DOMCTL_getdomaininfo, next);
            long rc = calls.domctl(d);
            if (rc < 0) break;
            DomainInfo info = decode(d.getdomaininfo());
            out.add(info);
            next = info.domid() + 1;
        }
        return out;
    }

    /** The info of exactly {@code domid}, or null if it does not exist. */
    public DomainInfo info(int domid) throws IOException {
        List<DomainInfo> l = xc_domain_getinfo(domid, 1);
        return l.isEmpty() || l.getFirst().domid() != domid ? null : l.getFirst();
    }

    /** xc_domain_getinfolist (XEN_SYSCTL_getdomaininfolist): up to {@code max} domains from {@code first}, one call. */
    public List<DomainInfo> xc_domain_getinfolist(int first, int max) throws IOException {
        List<DomainInfo> out = new ArrayList<>();
        try (HypercallBuffer.Buf buf = xc.buffers().allocate(Math.max(1, (long) max) * XenDomctlGetdomaininfo.SIZE)) {
            XenSysctl s = new XenSysctl().wrapNew().cmd(SysctlConstants.XEN_SYSCTL_getdomaininfolist);
            s.getdomaininfolist().firstDomain(first).maxDomains(max).buffer(buf.handle());
            long rc = calls.sysctl(s);
            if (rc < 0) throw new IOException("getdomaininfolist: " + XenErrno.name(rc));
            int n = (int) s.getdomaininfolist().numDomains();
            XenDomctlGetdomaininfo info = new XenDomctlGetdomaininfo();
            for (int i = 0; i < n; i++) out.add(decode(info.wrap(buf.segment(), (long) i * XenDomctlGetdomaininfo.SIZE)));
        }
        return out;
    }

    /** Domains per getdomaininfolist call of {@link #listDomains}, and the most calls it makes (a bound). */
    static final int LIST_BATCH = 256, MAX_LIST_CALLS = 128;

    /**
     * Every domain, as libxl_list_domain reads them ({@code xl list}): xc_domain_getinfolist, {@link #LIST_BATCH}
     * domains per sysctl, so the domains of one call are of one instant. xc_domain_getinfo walks one domctl per domain,
     * each at its own instant: a page moving between two domains meanwhile (a pager paging one in and another out, a
     * balloon) could be counted in both, and the demo's "host never exceeded" check once saw the domains hold one page
     * more than the host has (2026-12-03).
     */
    public List<DomainInfo> listDomains() throws IOException {
        List<DomainInfo> all = new ArrayList<>();
        int first = 0;
        for (int calls = 0; calls < MAX_LIST_CALLS; calls++) {
            List<DomainInfo> batch = xc_domain_getinfolist(first, LIST_BATCH);
            all.addAll(batch);
            if (batch.size() < LIST_BATCH) break;
            first = batch.getLast().domid() + 1;
        }
        return all;
    }

    /** xc_domain_maximum_gpfn: the highest gfn the domain's p2m has mapped, or a negated errno. */
    public long xc_domain_maximum_gpfn(int domid) throws IOException { return domidQuery(MemoryOpConstants.XENMEM_maximum_gpfn, domid); }

    /** XENMEM_current_reservation: tot_pages, or a negated errno. */
    public long xc_domain_current_reservation(int domid) throws IOException { return domidQuery(MemoryOpConstants.XENMEM_current_reservation, domid); }

    /** maximum_gpfn and current_reservation take a {@code domid_t} (u16) argument. */
    private long domidQuery(int op, int domid) throws IOException {
        try (HypercallBuffer.Buf b = xc.buffers().allocate(8)) {
            b.segment().set(U16_UNALIGNED, 0, (short) domid);
            return xc.hypercall(Hypercalls.MEMORY_OP, op, b.handle());
        }
    }

    static DomainInfo decode(XenDomctlGetdomaininfo i) {
        return new DomainInfo(i.domain(), (int) i.flags(), i.totPages(), i.maxPages(), i.outstandingPages(), i.pagedPages(),
                (int) i.nrOnlineVcpus(), i.handle(), i.cpuTime());
    }

    // ---- reservations ----------------------------------------------------------------------------------------------

    private long reservation(int op, int domid, long nrExtents, int order, int memFlags, long[] extents) throws IOException {
        return calls.reservation(op, domid, nrExtents, order, memFlags, extents);
    }

    /** xc_domain_increase_reservation: allocates {@code nrExtents} extents of {@code order}; returns extents done. */
    public long xc_domain_increase_reservation(int domid, long nrExtents, int order, int memFlags) throws IOException {
        return reservation(MemoryOpConstants.XENMEM_increase_reservation, domid, nrExtents, order, memFlags, null);
    }

    /** xc_domain_decrease_reservation: gives back the extents at {@code gfns}; returns extents done. */
    public long xc_domain_decrease_reservation(int domid, int order, long[] gfns) throws IOException {
        return reservation(MemoryOpConstants.XENMEM_decrease_reservation, domid, gfns.length, order, 0, gfns);
    }

    /** xc_domain_decrease_reservation_exact: 0, or -EINVAL ("partial") / a negated errno. */
    public long xc_domain_decrease_reservation_exact(int domid, int order, long[] gfns) throws IOException {
        long rc = xc_domain_decrease_reservation(domid, order, gfns);
        return rc == gfns.length ? 0 : rc < 0 ? rc : -XenErrno.EINVAL;
    }

    /** xc_domain_populate_physmap: populates (or with XENMEMF_populate_on_demand marks PoD) {@code gfns}; extents done. */
    public long xc_domain_populate_physmap(int domid, int order, int memFlags, long[] gfns) throws IOException {
        return reservation(MemoryOpConstants.XENMEM_populate_physmap, domid, gfns.length, order, memFlags, gfns);
    }

    /** xc_domain_populate_physmap_exact: 0 when every extent was done, else -EFAULT (libxc's errno) or Xen's error. */
    public long xc_domain_populate_physmap_exact(int domid, int order, int memFlags, long[] gfns) throws IOException {
        long rc = xc_domain_populate_physmap(domid, order, memFlags, gfns);
        return rc == gfns.length ? 0 : rc < 0 ? rc : -XenErrno.EFAULT;
    }

    // ---- populate-on-demand ----------------------------------------------------------------------------------------

    private PodTarget podTarget(int op, int domid, long target) throws IOException {
        XenPodTarget t = new XenPodTarget();
        long rc = calls.podTarget(op, domid, target, t);
        return new PodTarget(rc, t.totPages(), t.podCachePages(), t.podEntries());
    }

    /** xc_domain_set_pod_target (pages). The OUT fields are only meaningful when {@code rc} is 0. */
    public PodTarget xc_domain_set_pod_target(int domid, long targetPages) throws IOException {
        return podTarget(MemoryOpConstants.XENMEM_set_pod_target, domid, targetPages);
    }

    public PodTarget xc_domain_get_pod_target(int domid) throws IOException {
        return podTarget(MemoryOpConstants.XENMEM_get_pod_target, domid, 0);
    }

    /**
     * xc_hvm_build_target_mem's memory set-up (2009 libxc): gfns [0, 0xA0) populated as RAM, the VGA hole
     * [0xA0, 0xC0) left out, [0xC0, memsize) populated (target == memsize) or marked populate-on-demand
     * (target &lt; memsize), then the PoD target set to target − 0x20 pages "for the VGA hole", so that tot_pages
     * ends at target − 0x20. Like libxc's builder it also names the paging ring's special page (HVM param 27 = the
     * first gfn above RAM). Returns 0 or a negated errno (-ENOMEM when a populate stopped short).
     */
    public long xc_hvm_build_target_mem(int domid, long memsizeMb, long targetMb) throws IOException {
        long nrPages = memsizeMb << 8, targetPages = targetMb << 8;
        if (targetPages > nrPages || nrPages <= VGA_HOLE_END) return -XenErrno.EINVAL;
        long rc = calls.buildHvmMemory(domid, nrPages, targetPages);
        if (rc != 0) return rc;
        // libxc's special pages: HVM_PARAM_PAGING_RING_PFN names the gfn just above RAM (inside the max_mem slack);
        // it is not populated here: xenpaging populates it when it maps the ring, as with Xen.
        return calls.setHvmParam(domid, HVM_PARAM_PAGING_RING_PFN, nrPages);
    }
}
