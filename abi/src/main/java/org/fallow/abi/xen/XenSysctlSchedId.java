package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;

/**
 * {@code struct xen_sysctl_sched_id} ({@code XEN_SYSCTL_sched_id}, 4; 4 bytes; profile 4.17). Fallow reports
 * {@code XEN_SCHEDULER_CREDIT2} (6), 4.17's default scheduler.
 * <pre>
 * xen_sysctl_sched_id (4 bytes)
 * offset size  member    type
 *      0    4  sched_id  le32
 * </pre>
 */
public final class XenSysctlSchedId extends Flyweight<XenSysctlSchedId> {
    public static final StructLayout LAYOUT = struct("xen_sysctl_sched_id", u32("sched_id"));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int SCHED_ID_OFFSET = offsetOf(LAYOUT, "sched_id");
    public static final int XEN_SCHEDULER_CREDIT2 = 6;

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long schedId() { return getU32(SCHED_ID_OFFSET); }
    public XenSysctlSchedId schedId(long v) { putU32(SCHED_ID_OFFSET, v); return this; }
}
