package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;

/**
 * {@code struct xen_pod_target} (memory.h; x86_64 40 bytes, identical in 2009), for XENMEM_set_pod_target (16) and
 * XENMEM_get_pod_target (17).
 * <pre>
 * xen_pod_target (40 bytes)
 * offset size  member           type
 *      0    8  target_pages     le64
 *      8    8  tot_pages        le64
 *     16    8  pod_cache_pages  le64
 *     24    8  pod_entries      le64
 *     32    2  domid            le16
 *     34    6  (padding)
 * </pre>
 */
public final class XenPodTarget extends Flyweight<XenPodTarget> {
    public static final StructLayout LAYOUT = struct("xen_pod_target",
            u64("target_pages"),
            u64("tot_pages"),
            u64("pod_cache_pages"),
            u64("pod_entries"),
            u16("domid"),
            pad(6));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int TARGET_PAGES_OFFSET = offsetOf(LAYOUT, "target_pages");
    public static final int TOT_PAGES_OFFSET = offsetOf(LAYOUT, "tot_pages");
    public static final int POD_CACHE_PAGES_OFFSET = offsetOf(LAYOUT, "pod_cache_pages");
    public static final int POD_ENTRIES_OFFSET = offsetOf(LAYOUT, "pod_entries");
    public static final int DOMID_OFFSET = offsetOf(LAYOUT, "domid");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long targetPages() { return getU64(TARGET_PAGES_OFFSET); }
    public XenPodTarget targetPages(long v) { putU64(TARGET_PAGES_OFFSET, v); return this; }
    public long totPages() { return getU64(TOT_PAGES_OFFSET); }
    public XenPodTarget totPages(long v) { putU64(TOT_PAGES_OFFSET, v); return this; }
    public long podCachePages() { return getU64(POD_CACHE_PAGES_OFFSET); }
    public XenPodTarget podCachePages(long v) { putU64(POD_CACHE_PAGES_OFFSET, v); return this; }
    public long podEntries() { return getU64(POD_ENTRIES_OFFSET); }
    public XenPodTarget podEntries(long v) { putU64(POD_ENTRIES_OFFSET, v); return this; }
    public int domid() { return getU16(DOMID_OFFSET); }
    public XenPodTarget domid(int v) { putU16(DOMID_OFFSET, v); return this; }
}
