package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import java.util.Objects;

/**
 * {@code struct xen_tmem_pool_info} (sysctl.h, 4.12; 32 bytes, align 8), used by GET_POOLS / SET_POOLS / SET_AUTH.
 * <pre>
 * xen_tmem_pool_info (32 bytes)
 * offset size  member   type
 *      0    4  flags    union
 *      0    4    raw    le32
 *      4    4  id       le32
 *      8    8  n_pages  le64
 *     16   16  uuid     le64[2]
 * </pre>
 * {@code flags.raw}: persist bit 0, shared bit 1, auth bit 2, rsv1 bit 3, pagebits bits 4-11, rsv2 bits 12-23,
 * version bits 24-31.
 */
public final class XenTmemPoolInfo extends Flyweight<XenTmemPoolInfo> {
    public static final int FLAG_PERSIST = 1, FLAG_SHARED = 2, FLAG_AUTH = 4;
    public static final int PAGEBITS_SHIFT = 4, PAGEBITS_MASK = 0xff, VERSION_SHIFT = 24, VERSION_MASK = 0xff;
    public static final StructLayout LAYOUT = struct("xen_tmem_pool_info",
            union("flags", u32("raw")),
            u32("id"),
            u64("n_pages"),
            array("uuid", 2, U64));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int FLAGS_OFFSET = offsetOf(LAYOUT, "flags");
    public static final int ID_OFFSET = offsetOf(LAYOUT, "id");
    public static final int N_PAGES_OFFSET = offsetOf(LAYOUT, "n_pages");
    public static final int UUID_OFFSET = offsetOf(LAYOUT, "uuid");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long flags() { return getU32(FLAGS_OFFSET); }
    public XenTmemPoolInfo flags(long v) { putU32(FLAGS_OFFSET, v); return this; }
    public long id() { return getU32(ID_OFFSET); }
    public XenTmemPoolInfo id(long v) { putU32(ID_OFFSET, v); return this; }
    public long nPages() { return getU64(N_PAGES_OFFSET); }
    public XenTmemPoolInfo nPages(long v) { putU64(N_PAGES_OFFSET, v); return this; }
    public long uuid(int i) { return getU64(UUID_OFFSET + 8L * Objects.checkIndex(i, 2)); }
    public XenTmemPoolInfo uuid(int i, long v) { putU64(UUID_OFFSET + 8L * Objects.checkIndex(i, 2), v); return this; }
}
