package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;

/**
 * {@code struct xen_add_to_physmap_batch} ({@code XENMEM_add_to_physmap_batch}, memory_op 23; 32 bytes). Fallow
 * serves only {@code XENMAPSPACE_gmfn_foreign} from a toolstack: the foreign-mapping check of the privcmd bridge
 * (PROTOCOL §4, "foreign mappings"): per gfn of {@code u.foreign_domid}, {@code errs[i]} = 0 (mappable) or -ENOENT
 * (paged out: a page-in was started, retry), -EINVAL (not guest memory).
 * <pre>
 * xen_add_to_physmap_batch (32 bytes)
 * offset size  member           type
 *      0    2  domid            le16
 *      2    2  space            le16
 *      4    2  size             le16
 *      6    2  u                union
 *      6    2    foreign_domid  le16
 *      6    2    res0           le16
 *      8    8  idxs             le64
 *     16    8  gpfns            le64
 *     24    8  errs             le64
 * </pre>
 */
public final class XenAddToPhysmapBatch extends Flyweight<XenAddToPhysmapBatch> {
    public static final StructLayout LAYOUT = struct("xen_add_to_physmap_batch",
            u16("domid"), u16("space"), u16("size"), union("u", u16("foreign_domid"), u16("res0")),
            handle("idxs"), handle("gpfns"), handle("errs"));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int DOMID_OFFSET = offsetOf(LAYOUT, "domid");
    public static final int SPACE_OFFSET = offsetOf(LAYOUT, "space");
    public static final int SIZE_OFFSET = offsetOf(LAYOUT, "size");
    public static final int FOREIGN_DOMID_OFFSET = offsetOf(LAYOUT, "u.foreign_domid");
    public static final int IDXS_OFFSET = offsetOf(LAYOUT, "idxs");
    public static final int GPFNS_OFFSET = offsetOf(LAYOUT, "gpfns");
    public static final int ERRS_OFFSET = offsetOf(LAYOUT, "errs");
    /** memory_op command and the one map space Fallow serves. */
    public static final int XENMEM_add_to_physmap_batch = 23, XENMAPSPACE_gmfn_foreign = 4;

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public int domid() { return getU16(DOMID_OFFSET); }
    public XenAddToPhysmapBatch domid(int v) { putU16(DOMID_OFFSET, v); return this; }
    public int space() { return getU16(SPACE_OFFSET); }
    public XenAddToPhysmapBatch space(int v) { putU16(SPACE_OFFSET, v); return this; }
    public int count() { return getU16(SIZE_OFFSET); }
    public XenAddToPhysmapBatch count(int v) { putU16(SIZE_OFFSET, v); return this; }
    public int foreignDomid() { return getU16(FOREIGN_DOMID_OFFSET); }
    public XenAddToPhysmapBatch foreignDomid(int v) { putU16(FOREIGN_DOMID_OFFSET, v); return this; }
    public long idxs() { return getU64(IDXS_OFFSET); }
    public XenAddToPhysmapBatch idxs(long v) { putU64(IDXS_OFFSET, v); return this; }
    public long gpfns() { return getU64(GPFNS_OFFSET); }
    public XenAddToPhysmapBatch gpfns(long v) { putU64(GPFNS_OFFSET, v); return this; }
    public long errs() { return getU64(ERRS_OFFSET); }
    public XenAddToPhysmapBatch errs(long v) { putU64(ERRS_OFFSET, v); return this; }
}
