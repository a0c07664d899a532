package org.fallow.abi;

/** Hypercall numbers (xen/include/public/xen.h; unchanged from 2009 to 4.12). */
public final class Hypercalls {
    private Hypercalls() {}
    public static final int MEMORY_OP = 12;
    public static final int MULTICALL = 13;
    public static final int XEN_VERSION = 17;
    public static final int EVENT_CHANNEL_OP = 32;
    public static final int HVM_OP = 34;
    public static final int SYSCTL = 35;
    public static final int DOMCTL = 36;
    public static final int TMEM_OP = 38;

    /** DOMID_FIRST_RESERVED (0x7FF0): domids from here up are special, never a real domain. */
    public static final int DOMID_FIRST_RESERVED = 0x7FF0;
    /** DOMID_SELF (0x7FF0): "the calling domain" wherever a domid is taken. */
    public static final int DOMID_SELF = 0x7FF0;
    /** The toolstack acts as domain 0. */
    public static final int DOMID_0 = 0;
    public static final int PAGE_SHIFT = 12;
    public static final int PAGE_SIZE = 1 << PAGE_SHIFT;

    public static String name(long nr) {
        return switch ((int) nr) {
            case MEMORY_OP -> "memory_op"; case MULTICALL -> "multicall"; case EVENT_CHANNEL_OP -> "event_channel_op";
            case XEN_VERSION -> "xen_version"; case HVM_OP -> "hvm_op"; case SYSCTL -> "sysctl"; case DOMCTL -> "domctl"; case TMEM_OP -> "tmem_op";
            default -> "hypercall#" + nr;
        };
    }
}
