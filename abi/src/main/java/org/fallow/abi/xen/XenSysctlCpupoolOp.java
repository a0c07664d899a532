package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;

/**
 * {@code struct xen_sysctl_cpupool_op} ({@code XEN_SYSCTL_cpupool_op}, 18; 40 bytes; profile 4.17, where {@code xl
 * info} and {@code xl list} read pool 0 with {@code XEN_SYSCTL_CPUPOOL_OP_INFO}).
 * <pre>
 * xen_sysctl_cpupool_op (40 bytes)
 * offset size  member       type
 *      0    4  op           le32
 *      4    4  cpupool_id   le32
 *      8    4  sched_id     le32
 *     12    4  domid        le32
 *     16    4  cpu          le32
 *     20    4  n_dom        le32
 *     24   16  cpumap       struct
 *     24    8    bitmap     le64
 *     32    4    nr_bits    le32
 *     36    4    (padding)
 * </pre>
 */
public final class XenSysctlCpupoolOp extends Flyweight<XenSysctlCpupoolOp> {
    public static final StructLayout LAYOUT = struct("xen_sysctl_cpupool_op",
            u32("op"), u32("cpupool_id"), u32("sched_id"), u32("domid"), u32("cpu"), u32("n_dom"),
            struct("cpumap", handle("bitmap"), u32("nr_bits"), pad(4)));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int OP_OFFSET = offsetOf(LAYOUT, "op");
    public static final int CPUPOOL_ID_OFFSET = offsetOf(LAYOUT, "cpupool_id");
    public static final int SCHED_ID_OFFSET = offsetOf(LAYOUT, "sched_id");
    public static final int DOMID_OFFSET = offsetOf(LAYOUT, "domid");
    public static final int CPU_OFFSET = offsetOf(LAYOUT, "cpu");
    public static final int N_DOM_OFFSET = offsetOf(LAYOUT, "n_dom");
    public static final int CPUMAP_BITMAP_OFFSET = offsetOf(LAYOUT, "cpumap.bitmap");
    public static final int CPUMAP_NR_BITS_OFFSET = offsetOf(LAYOUT, "cpumap.nr_bits");
    /** XEN_SYSCTL_CPUPOOL_OP_*: CREATE 1, DESTROY 2, INFO 3, ADDCPU 4, RMCPU 5, MOVEDOMAIN 6, FREEINFO 7. */
    public static final int OP_INFO = 3, OP_FREEINFO = 7;

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long op() { return getU32(OP_OFFSET); }
    public XenSysctlCpupoolOp op(long v) { putU32(OP_OFFSET, v); return this; }
    public long cpupoolId() { return getU32(CPUPOOL_ID_OFFSET); }
    public XenSysctlCpupoolOp cpupoolId(long v) { putU32(CPUPOOL_ID_OFFSET, v); return this; }
    public long schedId() { return getU32(SCHED_ID_OFFSET); }
    public XenSysctlCpupoolOp schedId(long v) { putU32(SCHED_ID_OFFSET, v); return this; }
    public long nDom() { return getU32(N_DOM_OFFSET); }
    public XenSysctlCpupoolOp nDom(long v) { putU32(N_DOM_OFFSET, v); return this; }
    public long cpumapBitmap() { return getU64(CPUMAP_BITMAP_OFFSET); }
    public long cpumapNrBits() { return getU32(CPUMAP_NR_BITS_OFFSET); }
    public XenSysctlCpupoolOp cpumapNrBits(long v) { putU32(CPUMAP_NR_BITS_OFFSET, v); return this; }
}
