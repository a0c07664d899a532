package org.fallow.hypervisor.mem;

import org.fallow.abi.xen.XenDomctlGetdomaininfo;
import org.fallow.abi.wire.P2mHeader;

import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.core.ControlOp;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.GuestFault;
import org.fallow.hypervisor.core.HostMemory;
import org.fallow.hypervisor.core.HypervisorCore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;
import static org.fallow.abi.Hypercalls.DOMID_FIRST_RESERVED;
import static org.fallow.abi.xen.DomctlConstants.SHUTDOWN_crash;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_CDF_hap;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_createdomain;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_destroydomain;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_getdomaininfo;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_max_mem;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_pausedomain;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_unpausedomain;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMINF_dying;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMINF_hap;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMINF_hvm_guest;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMINF_paused;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMINF_running;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMINF_shutdown;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMINF_shutdownshift;
import static org.fallow.abi.xen.SysctlConstants.XEN_SYSCTL_PHYSCAP_hvm;
import static org.fallow.abi.xen.SysctlConstants.XEN_SYSCTL_getdomaininfolist;
import static org.fallow.abi.xen.SysctlConstants.XEN_SYSCTL_physinfo;
import static org.fallow.hypervisor.mem.MemConstants.*;

/**
 * Domain life-cycle domctls (createdomain, destroydomain, pause/unpause, getdomaininfo, max_mem) and the
 * physinfo / getdomaininfolist sysctls, on the private copy of {@code xen_domctl} / {@code xen_sysctl}.
 */
final class DomainControlOps {
    private static final Logger log = LoggerFactory.getLogger(DomainControlOps.class);
    private static final int MAX_CONTROLLER_PAUSES = 255;

    private final GuestMemoryEngine mem;

    DomainControlOps(GuestMemoryEngine mem) { this.mem = mem; }

    void register(HypervisorCore core) {
        core.domctls().register(XEN_DOMCTL_createdomain, this::createDomain);
        core.domctls().register(XEN_DOMCTL_destroydomain, op -> withDomain(op, this::destroy));
        core.domctls().register(XEN_DOMCTL_pausedomain, op -> withDomain(op, this::pause));
        core.domctls().register(XEN_DOMCTL_unpausedomain, op -> withDomain(op, this::unpause));
        core.domctls().register(XEN_DOMCTL_getdomaininfo, this::getDomainInfo);
        core.domctls().register(XEN_DOMCTL_max_mem, op -> withDomain(op, this::maxMem));
        core.sysctls().register(XEN_SYSCTL_physinfo, this::physinfo);
        core.sysctls().register(XEN_SYSCTL_getdomaininfolist, this::getDomainInfoList);
    }

    private interface DomainOp {
        long apply(ControlOp op, Domain d, DomainPhysmap pm);
    }

    private long withDomain(ControlOp op, DomainOp f) {
        if (!op.caller().privileged()) return -XenErrno.EPERM;
        int domid = Short.toUnsignedInt(op.op().get(U16_UNALIGNED, DOMCTL_DOMAIN));
        Domain d = mem.core().domains().get(domid);
        DomainPhysmap pm = d == null ? null : GuestMemoryEngine.physmap(d);
        if (pm == null) return -XenErrno.ESRCH;
        return f.apply(op, d, pm);
    }

    private long createDomain(ControlOp op) {
        if (!op.caller().privileged()) return -XenErrno.EPERM;
        MemorySegment s = op.op();
        byte[] handle = s.asSlice(CREATE_HANDLE, 16).toArray(ValueLayout.JAVA_BYTE);
        int flags = s.get(U32_UNALIGNED, CREATE_FLAGS);
        int maxVcpus = s.get(U32_UNALIGNED, CREATE_MAX_VCPUS);
        int ssidref = s.get(U32_UNALIGNED, CREATE_SSIDREF);
        int requested = Short.toUnsignedInt(s.get(U16_UNALIGNED, DOMCTL_DOMAIN));
        long rc = mem.createDomain(requested, handle, flags, maxVcpus, ssidref);
        if (rc < 0) return rc;
        s.set(U16_UNALIGNED, DOMCTL_DOMAIN, (short) rc);
        op.copyBack();
        return 0;
    }

    private long destroy(ControlOp op, Domain d, DomainPhysmap pm) {
        if (!mem.core().domains().destroy(d.domid())) return -XenErrno.EINVAL;
        log.info("d{}: destroyed", d.domid());
        return 0;
    }

    private long pause(ControlOp op, Domain d, DomainPhysmap pm) {
        if (pm.pauseCount() >= MAX_CONTROLLER_PAUSES) return -XenErrno.EOVERFLOW;
        pm.pauseCount(pm.pauseCount() + 1);
        syncState(d, pm);
        return 0;
    }

    private long unpause(ControlOp op, Domain d, DomainPhysmap pm) {
        if (pm.pauseCount() == 0) return -XenErrno.EINVAL;
        pm.pauseCount(pm.pauseCount() - 1);
        syncState(d, pm);
        return 0;
    }

    private static void syncState(Domain d, DomainPhysmap pm) {
        if (d.state() == Domain.State.CRASHED || d.dying()) return;
        boolean paused = pm.pauseCount() > 0;
        d.state(paused ? Domain.State.PAUSED : Domain.State.RUNNING);
        pm.p2m().domainState(paused ? P2mHeader.STATE_PAUSED : P2mHeader.STATE_RUNNING);
    }

    private long maxMem(ControlOp op, Domain d, DomainPhysmap pm) {
        long kb = op.op().get(U64_UNALIGNED, MAX_MEM_MAX_MEMKB);
        long pages = kb >>> 2;
        try {
            pm.maxPages(pages);
        } catch (IOException e) {
            log.error("d{}: cannot grow memory files to {} frames", d.domid(), pages, e);
            return -XenErrno.ENOMEM;
        }
        return 0;
    }

    /** XEN_DOMCTL_getdomaininfo: the first domain with id ≥ the requested one. */
    private long getDomainInfo(ControlOp op) {
        if (!op.caller().privileged()) return -XenErrno.EPERM;
        int domid = Short.toUnsignedInt(op.op().get(U16_UNALIGNED, DOMCTL_DOMAIN));
        if (domid >= DOMID_FIRST_RESERVED) return -XenErrno.EINVAL;
        Domain found = firstFrom(domid);
        if (found == null) return -XenErrno.ESRCH;
        MemorySegment s = op.op();
        fillInfo(found, s.asSlice(DOMCTL_U, GETDOMAININFO_SIZE));
        s.set(U16_UNALIGNED, DOMCTL_DOMAIN, (short) found.domid());
        op.copyBack();
        return 0;
    }

    private Domain firstFrom(int domid) {
        for (Domain d : mem.core().domains().all())
            if (d.domid() >= domid && GuestMemoryEngine.physmap(d) != null) return d;
        return null;
    }

    /** Fills a xen_domctl_getdomaininfo at offset 0 of {@code info}. */
    static void fillInfo(Domain d, MemorySegment info) {
        DomainPhysmap pm = GuestMemoryEngine.physmap(d);
        info.fill((byte) 0);
        int flags = 0;
        if (d.dying()) flags |= XEN_DOMINF_dying;
        if (pm.hvm()) flags |= XEN_DOMINF_hvm_guest;
        if ((pm.createFlags() & XEN_DOMCTL_CDF_hap) != 0) flags |= XEN_DOMINF_hap;
        if (d.state() == Domain.State.CRASHED) flags |= XEN_DOMINF_shutdown | (SHUTDOWN_crash << XEN_DOMINF_shutdownshift);
        if (pm.pauseCount() > 0) flags |= XEN_DOMINF_paused;
        else if (d.state() == Domain.State.RUNNING) flags |= XEN_DOMINF_running;
        int base = DOMCTL_U;
        info.set(U16_UNALIGNED, INFO_DOMAIN - base, (short) d.domid());
        info.set(U32_UNALIGNED, INFO_FLAGS - base, flags);
        info.set(U64_UNALIGNED, INFO_TOT_PAGES - base, pm.released() ? 0 : pm.totPages());
        info.set(U64_UNALIGNED, INFO_MAX_PAGES - base, pm.maxPages());
        info.set(U64_UNALIGNED, INFO_OUTSTANDING_PAGES - base, 0);
        info.set(U64_UNALIGNED, INFO_PAGED_PAGES - base, pm.pagedPages());
        info.set(U32_UNALIGNED, INFO_NR_ONLINE_VCPUS - base, d.maxVcpus());
        info.set(U32_UNALIGNED, INFO_MAX_VCPU_ID - base, d.maxVcpus() - 1);
        info.set(U32_UNALIGNED, INFO_SSIDREF - base, pm.ssidref());
        MemorySegment.copy(d.handle(), 0, info, ValueLayout.JAVA_BYTE, INFO_HANDLE - base, 16); // array overload: see Flyweight.copyIn
    }

    /** Domain 0 as a 4.17 toolstack sees it: running, privileged, one vCPU, no pages (the toolstack is dom0). */
    static void fillDom0(MemorySegment info) {
        new XenDomctlGetdomaininfo().wrap(info, 0).clear().domain(0).flags(XEN_DOMINF_running).nrOnlineVcpus(1).maxVcpuId(0);
    }

    private long physinfo(ControlOp op) {
        if (!op.caller().privileged()) return -XenErrno.EPERM;
        MemorySegment s = op.op();
        s.asSlice(SYSCTL_U, PHYS_END - SYSCTL_U).fill((byte) 0);
        HostMemory host = mem.core().host();
        s.set(U32_UNALIGNED, PHYS_THREADS_PER_CORE, 1);
        s.set(U32_UNALIGNED, PHYS_CORES_PER_SOCKET, 1);
        s.set(U32_UNALIGNED, PHYS_NR_CPUS, 1);
        s.set(U32_UNALIGNED, PHYS_MAX_CPU_ID, 0);
        s.set(U32_UNALIGNED, PHYS_NR_NODES, 1);
        s.set(U32_UNALIGNED, PHYS_MAX_NODE_ID, 0);
        s.set(U32_UNALIGNED, PHYS_CPU_KHZ, 0);
        s.set(U32_UNALIGNED, PHYS_CAPABILITIES, XEN_SYSCTL_PHYSCAP_hvm);
        s.set(U64_UNALIGNED, PHYS_TOTAL_PAGES, host.totalPages());
        s.set(U64_UNALIGNED, PHYS_FREE_PAGES, host.freePages());
        s.set(U64_UNALIGNED, PHYS_MAX_MFN, host.totalPages() - 1);
        return 0;
    }

    /** XEN_SYSCTL_getdomaininfolist: up to max_domains infos from first_domain into the caller's buffer. */
    private long getDomainInfoList(ControlOp op) {
        if (!op.caller().privileged()) return -XenErrno.EPERM;
        MemorySegment s = op.op();
        int first = Short.toUnsignedInt(s.get(U16_UNALIGNED, LIST_FIRST_DOMAIN));
        long max = Integer.toUnsignedLong(s.get(U32_UNALIGNED, LIST_MAX_DOMAINS));
        long buffer = s.get(U64_UNALIGNED, LIST_BUFFER);
        int n = 0;
        if (first == 0 && max > 0 && op.caller().profile() == org.fallow.abi.AbiProfile.XEN_4_17) {
            // A 4.17 toolstack (libxl) expects Domain-0 in the list: a running dom0 without memory of its own
            // (docs/DEVIATIONS.md, "Xen 4.17 profile"); xl's list fails outright when the list is empty.
            try {
                fillDom0(op.caller().memory().map(buffer, GETDOMAININFO_SIZE));
            } catch (GuestFault f) {
                return -XenErrno.EFAULT;
            }
            n++;
        }
        for (Domain d : mem.core().domains().all()) {
            if (d.domid() < first || GuestMemoryEngine.physmap(d) == null) continue;
            if (n >= max) break;
            try {
                fillInfo(d, op.caller().memory().map(buffer + (long) n * GETDOMAININFO_SIZE, GETDOMAININFO_SIZE));
            } catch (GuestFault f) {
                return -XenErrno.EFAULT;
            }
            n++;
        }
        s.set(U32_UNALIGNED, LIST_NUM_DOMAINS, n);
        return 0;
    }
}
