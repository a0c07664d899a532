package org.fallow.hypervisor.mem;

/**
 * memory_op / domctl / sysctl / hvm_op numbers and the Xen 4.12 x86_64 offsets this subsystem reads
 * (memory.h, domctl.h, sysctl.h, hvm_op.h, params.h). Local until the abi module's flyweights cover them.
 */
public final class MemConstants {
    private MemConstants() {}

    // memory_op sub-commands (memory.h)
    public static final int XENMEM_increase_reservation = 0;
    public static final int XENMEM_decrease_reservation = 1;
    public static final int XENMEM_current_reservation = 3;
    public static final int XENMEM_maximum_reservation = 4;
    public static final int XENMEM_populate_physmap = 6;
    public static final int XENMEM_maximum_gpfn = 14;
    public static final int XENMEM_set_pod_target = 16;
    public static final int XENMEM_get_pod_target = 17;
    public static final int MEMOP_EXTENT_SHIFT = 6;
    public static final int MEMOP_CMD_MASK = (1 << MEMOP_EXTENT_SHIFT) - 1;

    public static final int XENMEMF_populate_on_demand = 1 << 16;
    public static final int XENMEMF_exact_node_request = 1 << 17;
    public static final int XENMEMF_vnode = 1 << 18;

    /** Orders (page-allocation) used by Xen x86 at 4.12: CONFIG_DOMU_MAX_ORDER, CONFIG_CTLDOM_MAX_ORDER, MAX_ORDER. */
    public static final int DOMU_MAX_ORDER = 9, CTLDOM_MAX_ORDER = 12, MAX_ORDER = 20;
    public static final int SUPERPAGE_ORDER = 9;
    public static final int SUPERPAGE_PAGES = 1 << SUPERPAGE_ORDER;

    // struct xen_memory_reservation (32 bytes)
    public static final int RES_EXTENT_START = 0, RES_NR_EXTENTS = 8, RES_EXTENT_ORDER = 16, RES_MEM_FLAGS = 20,
            RES_DOMID = 24, RES_SIZE = 32;
    // struct xen_pod_target (40 bytes)
    public static final int POD_TARGET_PAGES = 0, POD_TOT_PAGES = 8, POD_CACHE_PAGES = 16, POD_ENTRIES = 24,
            POD_DOMID = 32, POD_SIZE = 40;

    // domctl commands (domctl.h) and xen_domctl (144 bytes: cmd @0, interface_version @4, domain @8, union @16)
    public static final int XEN_DOMCTL_createdomain = 1, XEN_DOMCTL_destroydomain = 2, XEN_DOMCTL_pausedomain = 3,
            XEN_DOMCTL_unpausedomain = 4, XEN_DOMCTL_getdomaininfo = 5, XEN_DOMCTL_max_mem = 11;
    public static final int DOMCTL_CMD = 0, DOMCTL_INTERFACE_VERSION = 4, DOMCTL_DOMAIN = 8, DOMCTL_U = 16,
            DOMCTL_SIZE = 144;
    public static final int XEN_DOMCTL_INTERFACE_VERSION = 0x11;
    /** xen_domctl_createdomain at 4.12 (offsets inside xen_domctl). */
    public static final int CREATE_SSIDREF = 16, CREATE_HANDLE = 20, CREATE_FLAGS = 36, CREATE_MAX_VCPUS = 40,
            CREATE_MAX_EVTCHN_PORT = 44, CREATE_MAX_GRANT_FRAMES = 48, CREATE_MAX_MAPTRACK_FRAMES = 52;
    public static final int XEN_DOMCTL_CDF_hvm_guest = 1, XEN_DOMCTL_CDF_hap = 2, XEN_DOMCTL_CDF_s3_integrity = 4,
            XEN_DOMCTL_CDF_oos_off = 8, XEN_DOMCTL_CDF_xs_domain = 16;
    public static final int CDF_KNOWN = 0x1F;
    /** xen_domctl_getdomaininfo (offsets inside xen_domctl). */
    public static final int INFO_DOMAIN = 16, INFO_FLAGS = 20, INFO_TOT_PAGES = 24, INFO_MAX_PAGES = 32,
            INFO_OUTSTANDING_PAGES = 40, INFO_SHR_PAGES = 48, INFO_PAGED_PAGES = 56, INFO_SHARED_INFO_FRAME = 64,
            INFO_CPU_TIME = 72, INFO_NR_ONLINE_VCPUS = 80, INFO_MAX_VCPU_ID = 84, INFO_SSIDREF = 88,
            INFO_HANDLE = 92, INFO_CPUPOOL = 108;
    /** Size of xen_domctl_getdomaininfo at 4.12 (the getdomaininfolist stride). */
    public static final int GETDOMAININFO_SIZE = 112 - DOMCTL_U;
    public static final int XEN_DOMINF_dying = 1, XEN_DOMINF_hvm_guest = 1 << 1, XEN_DOMINF_shutdown = 1 << 2,
            XEN_DOMINF_paused = 1 << 3, XEN_DOMINF_blocked = 1 << 4, XEN_DOMINF_running = 1 << 5,
            XEN_DOMINF_hap = 1 << 8, XEN_DOMINF_shutdownshift = 16;
    /** sched.h SHUTDOWN_crash: the shutdown code of a crashed domain. */
    public static final int SHUTDOWN_crash = 3;
    public static final int MAX_MEM_MAX_MEMKB = 16;

    // sysctl (136 bytes: cmd @0, interface_version @4, union @8)
    public static final int XEN_SYSCTL_physinfo = 3, XEN_SYSCTL_getdomaininfolist = 6;
    public static final int SYSCTL_U = 8;
    /** xen_sysctl_physinfo at 4.12 (offsets inside xen_sysctl). */
    public static final int PHYS_THREADS_PER_CORE = 8, PHYS_CORES_PER_SOCKET = 12, PHYS_NR_CPUS = 16,
            PHYS_MAX_CPU_ID = 20, PHYS_NR_NODES = 24, PHYS_MAX_NODE_ID = 28, PHYS_CPU_KHZ = 32,
            PHYS_CAPABILITIES = 36, PHYS_TOTAL_PAGES = 40, PHYS_FREE_PAGES = 48, PHYS_SCRUB_PAGES = 56,
            PHYS_OUTSTANDING_PAGES = 64, PHYS_MAX_MFN = 72, PHYS_END = 112;
    public static final int XEN_SYSCTL_PHYSCAP_hvm = 1;
    /** xen_sysctl_getdomaininfolist (offsets inside xen_sysctl). */
    public static final int LIST_FIRST_DOMAIN = 8, LIST_MAX_DOMAINS = 12, LIST_BUFFER = 16, LIST_NUM_DOMAINS = 24;

    // hvm_op (hypercall 34): HVMOP_set_param 0 / get_param 1, struct xen_hvm_param {u16 domid; u32 index; u64 value}
    public static final int HVMOP_set_param = 0, HVMOP_get_param = 1;
    public static final int HVM_PARAM_DOMID = 0, HVM_PARAM_INDEX = 4, HVM_PARAM_VALUE = 8, HVM_PARAM_SIZE = 16;
    public static final int HVM_NR_PARAMS = 39;
    public static final int HVM_PARAM_PAGING_RING_PFN = 27, HVM_PARAM_MONITOR_RING_PFN = 28,
            HVM_PARAM_SHARING_RING_PFN = 29;
}
