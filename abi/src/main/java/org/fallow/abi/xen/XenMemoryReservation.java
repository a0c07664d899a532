package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;

/**
 * {@code struct xen_memory_reservation} (memory.h; x86_64 32 bytes, identical in 2009), the argument of
 * XENMEM_increase_reservation / decrease_reservation / populate_physmap.
 * <pre>
 * xen_memory_reservation (32 bytes)
 * offset size  member        type
 *      0    8  extent_start  le64
 *      8    8  nr_extents    le64
 *     16    4  extent_order  le32
 *     20    4  mem_flags     le32
 *     24    2  domid         le16
 *     26    6  (padding)
 * </pre>
 */
public final class XenMemoryReservation extends Flyweight<XenMemoryReservation> {
    public static final StructLayout LAYOUT = struct("xen_memory_reservation",
            handle("extent_start"),
            u64("nr_extents"),
            u32("extent_order"),
            u32("mem_flags"),
            u16("domid"),
            pad(6));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int EXTENT_START_OFFSET = offsetOf(LAYOUT, "extent_start");
    public static final int NR_EXTENTS_OFFSET = offsetOf(LAYOUT, "nr_extents");
    public static final int EXTENT_ORDER_OFFSET = offsetOf(LAYOUT, "extent_order");
    public static final int MEM_FLAGS_OFFSET = offsetOf(LAYOUT, "mem_flags");
    public static final int DOMID_OFFSET = offsetOf(LAYOUT, "domid");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long extentStart() { return getU64(EXTENT_START_OFFSET); }
    public XenMemoryReservation extentStart(long v) { putU64(EXTENT_START_OFFSET, v); return this; }
    public long nrExtents() { return getU64(NR_EXTENTS_OFFSET); }
    public XenMemoryReservation nrExtents(long v) { putU64(NR_EXTENTS_OFFSET, v); return this; }
    public long extentOrder() { return getU32(EXTENT_ORDER_OFFSET); }
    public XenMemoryReservation extentOrder(long v) { putU32(EXTENT_ORDER_OFFSET, v); return this; }
    public long memFlags() { return getU32(MEM_FLAGS_OFFSET); }
    public XenMemoryReservation memFlags(long v) { putU32(MEM_FLAGS_OFFSET, v); return this; }
    public int domid() { return getU16(DOMID_OFFSET); }
    public XenMemoryReservation domid(int v) { putU16(DOMID_OFFSET, v); return this; }
}
