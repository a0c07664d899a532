package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import java.util.Objects;

/**
 * {@code struct tmem_handle} (sysctl.h, 4.12; 32 bytes), written by SAVE_GET_NEXT_PAGE / SAVE_GET_NEXT_INV.
 * <pre>
 * tmem_handle (32 bytes)
 * offset size  member   type
 *      0    4  pool_id  le32
 *      4    4  index    le32
 *      8   24  oid      struct
 *      8   24    oid    le64[3]
 * </pre>
 */
public final class TmemHandle extends Flyweight<TmemHandle> {
    public static final StructLayout LAYOUT = struct("tmem_handle",
            u32("pool_id"),
            u32("index"),
            XenTmemOid.LAYOUT.withName("oid"));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int POOL_ID_OFFSET = offsetOf(LAYOUT, "pool_id");
    public static final int INDEX_OFFSET = offsetOf(LAYOUT, "index");
    public static final int OID_OFFSET = offsetOf(LAYOUT, "oid");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long poolId() { return getU32(POOL_ID_OFFSET); }
    public TmemHandle poolId(long v) { putU32(POOL_ID_OFFSET, v); return this; }
    public long index() { return getU32(INDEX_OFFSET); }
    public TmemHandle index(long v) { putU32(INDEX_OFFSET, v); return this; }
    public long oid(int i) { return getU64(OID_OFFSET + 8L * Objects.checkIndex(i, XenTmemOid.WORDS)); }
    public TmemHandle oid(int i, long v) { putU64(OID_OFFSET + 8L * Objects.checkIndex(i, XenTmemOid.WORDS), v); return this; }
}
