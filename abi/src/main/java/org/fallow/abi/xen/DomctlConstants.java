package org.fallow.abi.xen;

/** domctl.h: XEN_DOMCTL_* commands Fallow implements, the 4.12 interface version and the vm_event op/mode values. */
public final class DomctlConstants {
    private DomctlConstants() {}

    /** XEN_DOMCTL_INTERFACE_VERSION at 4.12 (a mismatch gets -EACCES). */
    public static final int XEN_DOMCTL_INTERFACE_VERSION = 0x11;

    public static final int XEN_DOMCTL_createdomain = 1, XEN_DOMCTL_destroydomain = 2, XEN_DOMCTL_pausedomain = 3,
            XEN_DOMCTL_unpausedomain = 4, XEN_DOMCTL_getdomaininfo = 5, XEN_DOMCTL_max_mem = 11,
            XEN_DOMCTL_getvcpuinfo = 14, XEN_DOMCTL_max_vcpus = 15, XEN_DOMCTL_vm_event_op = 56;

    // xen_domctl_vm_event_op.op
    public static final int XEN_VM_EVENT_ENABLE = 0, XEN_VM_EVENT_DISABLE = 1, XEN_VM_EVENT_RESUME = 2;
    // xen_domctl_vm_event_op.mode
    public static final int XEN_DOMCTL_VM_EVENT_OP_PAGING = 1, XEN_DOMCTL_VM_EVENT_OP_MONITOR = 2,
            XEN_DOMCTL_VM_EVENT_OP_SHARING = 3;

    /** XEN_DOMCTL_CDF_* (createdomain flags). Bit 0 is {@code XEN_DOMCTL_CDF_hvm_guest} in the 4.12 header, renamed
     *  {@code XEN_DOMCTL_CDF_hvm} later (4.17's header, which the C probe compiles against): same bit. */
    public static final int XEN_DOMCTL_CDF_hvm = 1, XEN_DOMCTL_CDF_hap = 2, XEN_DOMCTL_CDF_s3_integrity = 4,
            XEN_DOMCTL_CDF_oos_off = 8, XEN_DOMCTL_CDF_xs_domain = 16;

    /** XEN_DOMINF_* bits of xen_domctl_getdomaininfo.flags; the shutdown code sits at XEN_DOMINF_shutdownshift. */
    public static final int XEN_DOMINF_dying = 1, XEN_DOMINF_hvm_guest = 1 << 1, XEN_DOMINF_shutdown = 1 << 2,
            XEN_DOMINF_paused = 1 << 3, XEN_DOMINF_blocked = 1 << 4, XEN_DOMINF_running = 1 << 5,
            XEN_DOMINF_debugged = 1 << 6, XEN_DOMINF_xs_domain = 1 << 7, XEN_DOMINF_hap = 1 << 8,
            XEN_DOMINF_shutdownshift = 16, XEN_DOMINF_shutdownmask = 255;
    /** sched.h SHUTDOWN_crash: the shutdown code getdomaininfo reports for a crashed domain. */
    public static final int SHUTDOWN_crash = 3;

    public static String name(long cmd) {
        return switch ((int) cmd) {
            case XEN_DOMCTL_createdomain -> "createdomain"; case XEN_DOMCTL_destroydomain -> "destroydomain";
            case XEN_DOMCTL_pausedomain -> "pausedomain"; case XEN_DOMCTL_unpausedomain -> "unpausedomain";
            case XEN_DOMCTL_getdomaininfo -> "getdomaininfo"; case XEN_DOMCTL_max_mem -> "max_mem";
            case XEN_DOMCTL_max_vcpus -> "max_vcpus"; case XEN_DOMCTL_vm_event_op -> "vm_event_op";
            default -> "domctl#" + cmd;
        };
    }
}
