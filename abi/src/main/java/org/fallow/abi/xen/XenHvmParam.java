package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;

/**
 * {@code struct xen_hvm_param} (hvm/hvm_op.h; 16 bytes), the argument of {@code HVMOP_set_param} (0) and
 * {@code HVMOP_get_param} (1) of {@code __HYPERVISOR_hvm_op} (34).
 * <pre>
 * xen_hvm_param (16 bytes)
 * offset size  member     type
 *      0    2  domid      le16
 *      2    2  (padding)
 *      4    4  index      le32
 *      8    8  value      le64
 * </pre>
 */
public final class XenHvmParam extends Flyweight<XenHvmParam> {
    public static final StructLayout LAYOUT = struct("xen_hvm_param",
            u16("domid"),
            pad(2),
            u32("index"),
            u64("value"));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int DOMID_OFFSET = offsetOf(LAYOUT, "domid");
    public static final int INDEX_OFFSET = offsetOf(LAYOUT, "index");
    public static final int VALUE_OFFSET = offsetOf(LAYOUT, "value");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public int domid() { return getU16(DOMID_OFFSET); }
    public XenHvmParam domid(int v) { putU16(DOMID_OFFSET, v); return this; }
    public long index() { return getU32(INDEX_OFFSET); }
    public XenHvmParam index(long v) { putU32(INDEX_OFFSET, v); return this; }
    public long value() { return getU64(VALUE_OFFSET); }
    public XenHvmParam value(long v) { putU64(VALUE_OFFSET, v); return this; }
}
