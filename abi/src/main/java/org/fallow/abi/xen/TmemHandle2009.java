package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;

/**
 * {@code struct tmem_handle} of the 2009 profile (734a7f6677; 16 bytes): one 64-bit object id.
 * <pre>
 * tmem_handle (16 bytes)
 * offset size  member   type
 *      0    4  pool_id  le32
 *      4    4  index    le32
 *      8    8  oid      le64
 * </pre>
 */
public final class TmemHandle2009 extends Flyweight<TmemHandle2009> {
    public static final StructLayout LAYOUT = struct("tmem_handle",
            u32("pool_id"),
            u32("index"),
            u64("oid"));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int POOL_ID_OFFSET = offsetOf(LAYOUT, "pool_id");
    public static final int INDEX_OFFSET = offsetOf(LAYOUT, "index");
    public static final int OID_OFFSET = offsetOf(LAYOUT, "oid");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long poolId() { return getU32(POOL_ID_OFFSET); }
    public TmemHandle2009 poolId(long v) { putU32(POOL_ID_OFFSET, v); return this; }
    public long index() { return getU32(INDEX_OFFSET); }
    public TmemHandle2009 index(long v) { putU32(INDEX_OFFSET, v); return this; }
    public long oid() { return getU64(OID_OFFSET); }
    public TmemHandle2009 oid(long v) { putU64(OID_OFFSET, v); return this; }
}
