package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;

/**
 * {@code struct xen_domctl_getvcpuinfo} ({@code XEN_DOMCTL_getvcpuinfo}, 14; 24 bytes; profile 4.17: xl list's
 * Time(s) column and xentop read it).
 * <pre>
 * xen_domctl_getvcpuinfo (24 bytes)
 * offset size  member     type
 *      0    4  vcpu       le32
 *      4    1  online     byte
 *      5    1  blocked    byte
 *      6    1  running    byte
 *      7    1  (padding)
 *      8    8  cpu_time   le64
 *     16    4  cpu        le32
 *     20    4  (padding)
 * </pre>
 */
public final class XenDomctlGetvcpuinfo extends Flyweight<XenDomctlGetvcpuinfo> {
    public static final StructLayout LAYOUT = struct("xen_domctl_getvcpuinfo",
            u32("vcpu"), u8("online"), u8("blocked"), u8("running"), pad(1), u64("cpu_time"), u32("cpu"), pad(4));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int VCPU_OFFSET = offsetOf(LAYOUT, "vcpu");
    public static final int ONLINE_OFFSET = offsetOf(LAYOUT, "online");
    public static final int BLOCKED_OFFSET = offsetOf(LAYOUT, "blocked");
    public static final int RUNNING_OFFSET = offsetOf(LAYOUT, "running");
    public static final int CPU_TIME_OFFSET = offsetOf(LAYOUT, "cpu_time");
    public static final int CPU_OFFSET = offsetOf(LAYOUT, "cpu");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long vcpu() { return getU32(VCPU_OFFSET); }
    public XenDomctlGetvcpuinfo vcpu(long v) { putU32(VCPU_OFFSET, v); return this; }
    public int online() { return getU8(ONLINE_OFFSET); }
    public XenDomctlGetvcpuinfo online(int v) { putU8(ONLINE_OFFSET, v); return this; }
    public int blocked() { return getU8(BLOCKED_OFFSET); }
    public XenDomctlGetvcpuinfo blocked(int v) { putU8(BLOCKED_OFFSET, v); return this; }
    public int running() { return getU8(RUNNING_OFFSET); }
    public XenDomctlGetvcpuinfo running(int v) { putU8(RUNNING_OFFSET, v); return this; }
    public long cpuTime() { return getU64(CPU_TIME_OFFSET); }
    public XenDomctlGetvcpuinfo cpuTime(long v) { putU64(CPU_TIME_OFFSET, v); return this; }
    public long cpu() { return getU32(CPU_OFFSET); }
    public XenDomctlGetvcpuinfo cpu(long v) { putU32(CPU_OFFSET, v); return this; }
}
