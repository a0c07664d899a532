package org.fallow.abi.xen;

/** sysctl.h: XEN_SYSCTL_* commands Fallow implements and the 4.12 interface version. */
public final class SysctlConstants {
    private SysctlConstants() {}

    /** XEN_SYSCTL_INTERFACE_VERSION at 4.12 (a mismatch gets -EACCES). */
    public static final int XEN_SYSCTL_INTERFACE_VERSION = 0x12;

    public static final int XEN_SYSCTL_physinfo = 3, XEN_SYSCTL_sched_id = 4, XEN_SYSCTL_getdomaininfolist = 6,
            XEN_SYSCTL_cpupool_op = 18, XEN_SYSCTL_tmem_op = 24;

    /** XEN_SYSCTL_PHYSCAP_* bits of xen_sysctl_physinfo.capabilities. */
    public static final int XEN_SYSCTL_PHYSCAP_hvm = 1;

    public static String name(long cmd) {
        return switch ((int) cmd) {
            case XEN_SYSCTL_physinfo -> "physinfo"; case XEN_SYSCTL_getdomaininfolist -> "getdomaininfolist";
            case XEN_SYSCTL_tmem_op -> "tmem_op";
            default -> "sysctl#" + cmd;
        };
    }
}
