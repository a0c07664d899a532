package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;

/**
 * {@code struct xen_mem_paging_op} (memory.h, tools only; 24 bytes), the argument of XENMEM_paging_op (20).
 * <pre>
 * xen_mem_paging_op (24 bytes)
 * offset size  member     type
 *      0    1  op         byte
 *      1    1  (padding)
 *      2    2  domain     le16
 *      4    4  (padding)
 *      8    8  buffer     le64
 *     16    8  gfn        le64
 * </pre>
 * op: nominate 0, evict 1, prep 2.
 */
public final class XenMemPagingOp extends Flyweight<XenMemPagingOp> {
    public static final StructLayout LAYOUT = struct("xen_mem_paging_op",
            u8("op"),
            pad(1),
            u16("domain"),
            pad(4),
            handle("buffer"),
            u64("gfn"));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int OP_OFFSET = offsetOf(LAYOUT, "op");
    public static final int DOMAIN_OFFSET = offsetOf(LAYOUT, "domain");
    public static final int BUFFER_OFFSET = offsetOf(LAYOUT, "buffer");
    public static final int GFN_OFFSET = offsetOf(LAYOUT, "gfn");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public int op() { return getU8(OP_OFFSET); }
    public XenMemPagingOp op(int v) { putU8(OP_OFFSET, v); return this; }
    public int domain() { return getU16(DOMAIN_OFFSET); }
    public XenMemPagingOp domain(int v) { putU16(DOMAIN_OFFSET, v); return this; }
    public long buffer() { return getU64(BUFFER_OFFSET); }
    public XenMemPagingOp buffer(long v) { putU64(BUFFER_OFFSET, v); return this; }
    public long gfn() { return getU64(GFN_OFFSET); }
    public XenMemPagingOp gfn(long v) { putU64(GFN_OFFSET, v); return this; }
}
