package org.fallow.abi.xen;

import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.fallow.abi.AbiProfile;
import org.fallow.abi.wire.DomainEvent;
import org.fallow.abi.wire.ErrorFrame;
import org.fallow.abi.wire.EvtchnSend;
import org.fallow.abi.wire.FrameHeader;
import org.fallow.abi.wire.Hello;
import org.fallow.abi.wire.HelloAck;
import org.fallow.abi.wire.MemFault;
import org.fallow.abi.wire.P2mHeader;
import org.fallow.abi.wire.StatusFrame;
import org.fallow.abi.wire.XsSockMsg;
import org.fallow.abi.wire.P2mPodExtent;

/**
 * Every struct layout Fallow speaks, per ABI profile. Profile 4.12 lists them all (Fallow's own structs, such as the
 * p2m header, too: they are the same for every profile); profiles 2009 and 4.17 list only what differs from 4.12
 * (2009: its {@code tmem_op} and {@code tmem_handle}; 4.17: vm_event v7 and the structs only the 4.17 tools use);
 * {@link #find} falls back to 4.12 for the shared structs.
 */
public final class AbiRegistry {
    private AbiRegistry() {}

    private static final List<AbiStruct> ALL;

    static {
        List<AbiStruct> l = new ArrayList<>();
        AbiProfile x = AbiProfile.XEN_4_12;
        add(l, x, "privcmd_hypercall", "struct privcmd_hypercall", PrivcmdHypercall.LAYOUT, PrivcmdHypercall::new);
        add(l, x, "multicall_entry", "struct multicall_entry", MulticallEntry.LAYOUT, MulticallEntry::new);
        add(l, x, "xen_tmem_oid", "struct xen_tmem_oid", XenTmemOid.LAYOUT, XenTmemOid::new);
        add(l, x, "tmem_op", "struct tmem_op", TmemOp.LAYOUT, TmemOp::new);
        add(l, x, "xen_sysctl", "struct xen_sysctl", XenSysctl.LAYOUT, XenSysctl::new);
        add(l, x, "xen_sysctl_tmem_op", "struct xen_sysctl_tmem_op", XenSysctlTmemOp.LAYOUT, XenSysctlTmemOp::new);
        add(l, x, "xen_tmem_client", "struct xen_tmem_client", XenTmemClient.LAYOUT, XenTmemClient::new);
        add(l, x, "xen_tmem_pool_info", "struct xen_tmem_pool_info", XenTmemPoolInfo.LAYOUT, XenTmemPoolInfo::new);
        add(l, x, "tmem_handle", "struct tmem_handle", TmemHandle.LAYOUT, TmemHandle::new);
        add(l, x, "xen_sysctl_physinfo", "struct xen_sysctl_physinfo", XenSysctlPhysinfo.LAYOUT, XenSysctlPhysinfo::new);
        add(l, x, "xen_sysctl_getdomaininfolist", "struct xen_sysctl_getdomaininfolist",
                XenSysctlGetdomaininfolist.LAYOUT, XenSysctlGetdomaininfolist::new);
        add(l, x, "xen_domctl", "struct xen_domctl", XenDomctl.LAYOUT, XenDomctl::new);
        add(l, x, "xen_domctl_createdomain", "struct xen_domctl_createdomain",
                XenDomctlCreatedomain.LAYOUT, XenDomctlCreatedomain::new);
        add(l, x, "xen_domctl_getdomaininfo", "struct xen_domctl_getdomaininfo",
                XenDomctlGetdomaininfo.LAYOUT, XenDomctlGetdomaininfo::new);
        add(l, x, "xen_domctl_max_mem", "struct xen_domctl_max_mem", XenDomctlMaxMem.LAYOUT, XenDomctlMaxMem::new);
        add(l, x, "xen_domctl_max_vcpus", "struct xen_domctl_max_vcpus", XenDomctlMaxVcpus.LAYOUT, XenDomctlMaxVcpus::new);
        add(l, x, "xen_domctl_vm_event_op", "struct xen_domctl_vm_event_op",
                XenDomctlVmEventOp.LAYOUT, XenDomctlVmEventOp::new);
        add(l, x, "xen_arch_domainconfig", "struct xen_arch_domainconfig",
                XenArchDomainconfig.LAYOUT, XenArchDomainconfig::new);
        add(l, x, "xen_memory_reservation", "struct xen_memory_reservation",
                XenMemoryReservation.LAYOUT, XenMemoryReservation::new);
        add(l, x, "xen_pod_target", "struct xen_pod_target", XenPodTarget.LAYOUT, XenPodTarget::new);
        add(l, x, "xen_hvm_param", "struct xen_hvm_param", XenHvmParam.LAYOUT, XenHvmParam::new);
        add(l, x, "xen_feature_info", "struct xen_feature_info", XenFeatureInfo.LAYOUT, XenFeatureInfo::new);
        add(l, x, "xen_mem_paging_op", "struct xen_mem_paging_op", XenMemPagingOp.LAYOUT, XenMemPagingOp::new);
        add(l, x, "vm_event_request", "vm_event_request_t", VmEventRequest.LAYOUT, VmEventRequest::new);
        add(l, x, "vm_event_response", "vm_event_response_t", VmEventRequest.LAYOUT, VmEventRequest::new);
        add(l, x, "vm_event_sring", "struct vm_event_sring", VmEventSring.LAYOUT, VmEventSring::new);
        // Fallow's own structs (every profile), probed against abi/src/main/c/fallow_wire.h
        add(l, x, "fallow_p2m_header", "struct fallow_p2m_header", P2mHeader.LAYOUT, P2mHeader::new);
        add(l, x, "fallow_p2m_pod_extent", "struct fallow_p2m_pod_extent", P2mPodExtent.LAYOUT, P2mPodExtent::new);
        add(l, x, "fallow_frame_header", "struct fallow_frame_header", FrameHeader.LAYOUT, FrameHeader::new);
        add(l, x, "fallow_hello", "struct fallow_hello", Hello.LAYOUT, Hello::new);
        add(l, x, "fallow_hello_ack", "struct fallow_hello_ack", HelloAck.LAYOUT, HelloAck::new);
        add(l, x, "fallow_error", "struct fallow_error", ErrorFrame.LAYOUT, ErrorFrame::new);
        add(l, x, "fallow_status", "struct fallow_status", StatusFrame.LAYOUT, StatusFrame::new);
        add(l, x, "fallow_evtchn_send", "struct fallow_evtchn_send", EvtchnSend.LAYOUT, EvtchnSend::new);
        add(l, x, "fallow_mem_fault", "struct fallow_mem_fault", MemFault.LAYOUT, MemFault::new);
        add(l, x, "fallow_domain_event", "struct fallow_domain_event", DomainEvent.LAYOUT, DomainEvent::new);
        // the XENSTORE payload is xenstored's own message header (io/xs_wire.h)
        add(l, x, "xsd_sockmsg", "struct xsd_sockmsg", XsSockMsg.LAYOUT, XsSockMsg::new);

        AbiProfile old = AbiProfile.TMEM_2009;
        add(l, old, "tmem_op", "struct tmem_op", TmemOp2009.LAYOUT, TmemOp2009::new);
        add(l, old, "tmem_handle", "struct tmem_handle", TmemHandle2009.LAYOUT, TmemHandle2009::new);

        // Xen 4.17 (the installed headers; CProbeTest compares these with no exceptions): what 4.17 changed
        // (vm_event v7) and the read-only structs the 4.17 tools need; everything else is shared with 4.12.
        AbiProfile x17 = AbiProfile.XEN_4_17;
        add(l, x17, "vm_event_request", "vm_event_request_t", VmEventRequest.LAYOUT_V7, VmEventRequest::v7);
        add(l, x17, "vm_event_response", "vm_event_response_t", VmEventRequest.LAYOUT_V7, VmEventRequest::v7);
        add(l, x17, "xen_sysctl_sched_id", "struct xen_sysctl_sched_id", XenSysctlSchedId.LAYOUT, XenSysctlSchedId::new);
        add(l, x17, "xen_sysctl_cpupool_op", "struct xen_sysctl_cpupool_op",
                XenSysctlCpupoolOp.LAYOUT, XenSysctlCpupoolOp::new);
        add(l, x17, "xen_domctl_getvcpuinfo", "struct xen_domctl_getvcpuinfo",
                XenDomctlGetvcpuinfo.LAYOUT, XenDomctlGetvcpuinfo::new);
        add(l, x17, "xen_add_to_physmap_batch", "struct xen_add_to_physmap_batch",
                XenAddToPhysmapBatch.LAYOUT, XenAddToPhysmapBatch::new);
        ALL = List.copyOf(l);
    }

    private static void add(List<AbiStruct> l, AbiProfile p, String name, String cType, StructLayout layout,
                            Supplier<? extends Flyweight<?>> factory) {
        l.add(new AbiStruct(p, name, cType, layout, factory));
    }

    /** Every registered (profile, struct), 4.12 first, in a stable order. */
    public static List<AbiStruct> all() { return ALL; }

    /** The structs registered under exactly this profile. */
    public static List<AbiStruct> of(AbiProfile profile) {
        return ALL.stream().filter(s -> s.profile() == profile).toList();
    }

    /** The struct as seen by a client of {@code profile}: its own entry, else the shared 4.12 one. */
    public static Optional<AbiStruct> find(AbiProfile profile, String name) {
        Optional<AbiStruct> own = ALL.stream().filter(s -> s.profile() == profile && s.name().equals(name)).findFirst();
        if (own.isPresent() || profile == AbiProfile.XEN_4_12) return own;
        return find(AbiProfile.XEN_4_12, name);
    }

    /** Names {@link #find} resolves for any profile (the 4.12 set; the 2009 profile overrides some of them). */
    public static List<String> names() {
        return of(AbiProfile.XEN_4_12).stream().map(AbiStruct::name).toList();
    }
}
