package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;

/**
 * {@code struct xen_feature_info} (version.h): the argument of XENVER_get_features, submap {@code submap_idx} of the
 * XENFEAT_* bits.
 * <pre>
 * xen_feature_info (8 bytes)
 * offset size  member      type
 *      0    4  submap_idx  le32
 *      4    4  submap      le32
 * </pre>
 */
public final class XenFeatureInfo extends Flyweight<XenFeatureInfo> {
    public static final StructLayout LAYOUT = struct("xen_feature_info",
            u32("submap_idx"),
            u32("submap"));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int SUBMAP_IDX_OFFSET = offsetOf(LAYOUT, "submap_idx");
    public static final int SUBMAP_OFFSET = offsetOf(LAYOUT, "submap");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long submapIdx() { return getU32(SUBMAP_IDX_OFFSET); }
    public XenFeatureInfo submapIdx(long v) { putU32(SUBMAP_IDX_OFFSET, v); return this; }
    public long submap() { return getU32(SUBMAP_OFFSET); }
    public XenFeatureInfo submap(long v) { putU32(SUBMAP_OFFSET, v); return this; }
}
