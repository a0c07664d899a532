package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;

/**
 * {@code struct xen_sysctl} (sysctl.h; 136 bytes), the argument of {@code __HYPERVISOR_sysctl} (35).
 * <pre>
 *  0       4                   8                                                    136
 *  +-------+-------------------+-----------------------------------------------------+
 *  |  cmd  | interface_version | u (128-byte union: tmem_op, physinfo,               |
 *  |  u32  | u32 (= 0x12)      |    getdomaininfolist, pad[128])                     |
 *  +-------+-------------------+-----------------------------------------------------+
 * </pre>
 * The payload views ({@link #tmemOp()}, {@link #physinfo()}, {@link #getdomaininfolist()}) are flyweights over
 * {@code u} of the same segment; each call re-points one cached instance.
 */
public final class XenSysctl extends Flyweight<XenSysctl> {
    public static final int U_SIZE = 128;
    public static final StructLayout LAYOUT = struct("xen_sysctl",
            u32("cmd"),
            u32("interface_version"),
            union("u",
                    XenSysctlTmemOp.LAYOUT.withName("tmem_op"),
                    XenSysctlPhysinfo.LAYOUT.withName("physinfo"),
                    XenSysctlGetdomaininfolist.LAYOUT.withName("getdomaininfolist"),
                    array("pad", U_SIZE, U8)));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int CMD_OFFSET = offsetOf(LAYOUT, "cmd");
    public static final int INTERFACE_VERSION_OFFSET = offsetOf(LAYOUT, "interface_version");
    public static final int U_OFFSET = offsetOf(LAYOUT, "u");

    private final XenSysctlTmemOp tmemOp = new XenSysctlTmemOp();
    private final XenSysctlPhysinfo physinfo = new XenSysctlPhysinfo();
    private final XenSysctlGetdomaininfolist getdomaininfolist = new XenSysctlGetdomaininfolist();

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long cmd() { return getU32(CMD_OFFSET); }
    public XenSysctl cmd(long v) { putU32(CMD_OFFSET, v); return this; }
    public long interfaceVersion() { return getU32(INTERFACE_VERSION_OFFSET); }
    public XenSysctl interfaceVersion(long v) { putU32(INTERFACE_VERSION_OFFSET, v); return this; }


    public XenSysctlTmemOp tmemOp() { return tmemOp.wrap(segment(), offset() + U_OFFSET); }
    public XenSysctlPhysinfo physinfo() { return physinfo.wrap(segment(), offset() + U_OFFSET); }
    public XenSysctlGetdomaininfolist getdomaininfolist() { return getdomaininfolist.wrap(segment(), offset() + U_OFFSET); }
}
