package org.fallow.hypervisor.mem;

import org.fallow.abi.xen.XenDomctl;
import org.fallow.abi.xen.XenDomctlCreatedomain;
import org.fallow.abi.xen.XenDomctlGetdomaininfo;
import org.fallow.abi.xen.XenDomctlMaxMem;
import org.fallow.abi.xen.XenHvmParam;
import org.fallow.abi.xen.XenMemoryReservation;
import org.fallow.abi.xen.XenPodTarget;
import org.fallow.abi.xen.XenSysctl;
import org.fallow.abi.xen.XenSysctlGetdomaininfolist;
import org.fallow.abi.xen.XenSysctlPhysinfo;

/**
 * Struct offsets this subsystem reads, made absolute inside {@code xen_domctl} / {@code xen_sysctl} from the abi
 * module's flyweights (createdomain, getdomaininfo and physinfo in the installed-header layout the whole project uses,
 * see docs/ABI.md), and Xen's x86 allocation orders. The Xen numbers themselves (XENMEM_*, XEN_DOMCTL_*, ...) are
 * declared once, in abi's {@code *Constants} classes.
 */
public final class MemConstants {
    private MemConstants() {}

    /** XENMEMF_get_node of a node field of 0: no node requested (NUMA_NO_NODE). */
    public static final int NUMA_NO_NODE = 0xFF;
    /** Xen x86 build constant (NODES_SHIFT 6): a control domain's node must be below it (propagate_node). */
    public static final int MAX_NUMNODES = 64;

    /** Orders (page-allocation) used by Xen x86 at 4.12: CONFIG_DOMU_MAX_ORDER, CONFIG_CTLDOM_MAX_ORDER, MAX_ORDER. */
    public static final int DOMU_MAX_ORDER = 9, CTLDOM_MAX_ORDER = 12, MAX_ORDER = 20;
    public static final int SUPERPAGE_ORDER = 9;
    public static final int SUPERPAGE_PAGES = 1 << SUPERPAGE_ORDER;

    // struct xen_memory_reservation (32 bytes)
    public static final int RES_EXTENT_START = XenMemoryReservation.EXTENT_START_OFFSET,
            RES_NR_EXTENTS = XenMemoryReservation.NR_EXTENTS_OFFSET, RES_EXTENT_ORDER = XenMemoryReservation.EXTENT_ORDER_OFFSET,
            RES_MEM_FLAGS = XenMemoryReservation.MEM_FLAGS_OFFSET, RES_DOMID = XenMemoryReservation.DOMID_OFFSET,
            RES_SIZE = XenMemoryReservation.SIZE;
    // struct xen_pod_target (40 bytes)
    public static final int POD_TARGET_PAGES = XenPodTarget.TARGET_PAGES_OFFSET, POD_TOT_PAGES = XenPodTarget.TOT_PAGES_OFFSET,
            POD_CACHE_PAGES = XenPodTarget.POD_CACHE_PAGES_OFFSET, POD_ENTRIES = XenPodTarget.POD_ENTRIES_OFFSET,
            POD_DOMID = XenPodTarget.DOMID_OFFSET, POD_SIZE = XenPodTarget.SIZE;

    // xen_domctl (144 bytes: cmd @0, interface_version @4, domain @8, union @16)
    public static final int DOMCTL_CMD = XenDomctl.CMD_OFFSET, DOMCTL_INTERFACE_VERSION = XenDomctl.INTERFACE_VERSION_OFFSET,
            DOMCTL_DOMAIN = XenDomctl.DOMAIN_OFFSET, DOMCTL_U = XenDomctl.U_OFFSET, DOMCTL_SIZE = XenDomctl.SIZE;
    /** xen_domctl_createdomain (offsets inside xen_domctl). */
    public static final int CREATE_SSIDREF = DOMCTL_U + XenDomctlCreatedomain.SSIDREF_OFFSET,
            CREATE_HANDLE = DOMCTL_U + XenDomctlCreatedomain.HANDLE_OFFSET,
            CREATE_FLAGS = DOMCTL_U + XenDomctlCreatedomain.FLAGS_OFFSET,
            CREATE_MAX_VCPUS = DOMCTL_U + XenDomctlCreatedomain.MAX_VCPUS_OFFSET;
    public static final int CDF_KNOWN = 0xFF;
    /** xen_domctl_getdomaininfo (offsets inside xen_domctl). */
    public static final int INFO_DOMAIN = DOMCTL_U + XenDomctlGetdomaininfo.DOMAIN_OFFSET,
            INFO_FLAGS = DOMCTL_U + XenDomctlGetdomaininfo.FLAGS_OFFSET,
            INFO_TOT_PAGES = DOMCTL_U + XenDomctlGetdomaininfo.TOT_PAGES_OFFSET,
            INFO_MAX_PAGES = DOMCTL_U + XenDomctlGetdomaininfo.MAX_PAGES_OFFSET,
            INFO_OUTSTANDING_PAGES = DOMCTL_U + XenDomctlGetdomaininfo.OUTSTANDING_PAGES_OFFSET,
            INFO_PAGED_PAGES = DOMCTL_U + XenDomctlGetdomaininfo.PAGED_PAGES_OFFSET,
            INFO_NR_ONLINE_VCPUS = DOMCTL_U + XenDomctlGetdomaininfo.NR_ONLINE_VCPUS_OFFSET,
            INFO_MAX_VCPU_ID = DOMCTL_U + XenDomctlGetdomaininfo.MAX_VCPU_ID_OFFSET,
            INFO_SSIDREF = DOMCTL_U + XenDomctlGetdomaininfo.SSIDREF_OFFSET,
            INFO_HANDLE = DOMCTL_U + XenDomctlGetdomaininfo.HANDLE_OFFSET,
            INFO_CPUPOOL = DOMCTL_U + XenDomctlGetdomaininfo.CPUPOOL_OFFSET;
    /** Size of xen_domctl_getdomaininfo (the getdomaininfolist stride). */
    public static final int GETDOMAININFO_SIZE = XenDomctlGetdomaininfo.SIZE;
    public static final int MAX_MEM_MAX_MEMKB = DOMCTL_U + XenDomctlMaxMem.MAX_MEMKB_OFFSET;

    // sysctl (136 bytes: cmd @0, interface_version @4, union @8)
    public static final int SYSCTL_U = XenSysctl.U_OFFSET;
    /** xen_sysctl_physinfo (offsets inside xen_sysctl). */
    public static final int PHYS_THREADS_PER_CORE = SYSCTL_U + XenSysctlPhysinfo.THREADS_PER_CORE_OFFSET,
            PHYS_CORES_PER_SOCKET = SYSCTL_U + XenSysctlPhysinfo.CORES_PER_SOCKET_OFFSET,
            PHYS_NR_CPUS = SYSCTL_U + XenSysctlPhysinfo.NR_CPUS_OFFSET,
            PHYS_MAX_CPU_ID = SYSCTL_U + XenSysctlPhysinfo.MAX_CPU_ID_OFFSET,
            PHYS_NR_NODES = SYSCTL_U + XenSysctlPhysinfo.NR_NODES_OFFSET,
            PHYS_MAX_NODE_ID = SYSCTL_U + XenSysctlPhysinfo.MAX_NODE_ID_OFFSET,
            PHYS_CPU_KHZ = SYSCTL_U + XenSysctlPhysinfo.CPU_KHZ_OFFSET,
            PHYS_CAPABILITIES = SYSCTL_U + XenSysctlPhysinfo.CAPABILITIES_OFFSET,
            PHYS_TOTAL_PAGES = SYSCTL_U + XenSysctlPhysinfo.TOTAL_PAGES_OFFSET,
            PHYS_FREE_PAGES = SYSCTL_U + XenSysctlPhysinfo.FREE_PAGES_OFFSET,
            PHYS_MAX_MFN = SYSCTL_U + XenSysctlPhysinfo.MAX_MFN_OFFSET,
            PHYS_END = SYSCTL_U + XenSysctlPhysinfo.SIZE;
    /** xen_sysctl_getdomaininfolist (offsets inside xen_sysctl). */
    public static final int LIST_FIRST_DOMAIN = SYSCTL_U + XenSysctlGetdomaininfolist.FIRST_DOMAIN_OFFSET,
            LIST_MAX_DOMAINS = SYSCTL_U + XenSysctlGetdomaininfolist.MAX_DOMAINS_OFFSET,
            LIST_BUFFER = SYSCTL_U + XenSysctlGetdomaininfolist.BUFFER_OFFSET,
            LIST_NUM_DOMAINS = SYSCTL_U + XenSysctlGetdomaininfolist.NUM_DOMAINS_OFFSET;

    /** struct xen_hvm_param (hvm_op 34: HVMOP_set_param / HVMOP_get_param). */
    public static final int HVM_PARAM_DOMID = XenHvmParam.DOMID_OFFSET, HVM_PARAM_INDEX = XenHvmParam.INDEX_OFFSET,
            HVM_PARAM_VALUE = XenHvmParam.VALUE_OFFSET, HVM_PARAM_SIZE = XenHvmParam.SIZE;
}
