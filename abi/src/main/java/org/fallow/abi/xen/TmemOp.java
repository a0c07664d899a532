package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import java.util.Objects;

/**
 * {@code struct tmem_op} of Xen 4.12 (tmem.h, x86_64: 56 bytes, align 8), the argument of {@code __HYPERVISOR_tmem_op}.
 * <pre>
 * tmem_op (56 bytes)
 * offset size  member           type
 *      0    4  cmd              le32
 *      4    4  pool_id          le32
 *      8   48  u                union
 *      8   24    creat          struct
 *      8   16      uuid         le64[2]
 *     24    4      flags        le32
 *     28    4      arg1         le32
 *      8   48    gen            struct
 *      8   24      oid          struct
 *      8   24        oid        le64[3]
 *     32    4      index        le32
 *     36    4      tmem_offset  le32
 *     40    4      pfn_offset   le32
 *     44    4      len          le32
 *     48    8      cmfn         le64
 * </pre>
 * {@code tmem_offset}, {@code pfn_offset} and {@code len} are ignored by 4.12; whole pages are copied.
 */
public final class TmemOp extends Flyweight<TmemOp> {
    public static final StructLayout CREAT = struct("creat",
            array("uuid", 2, U64),
            u32("flags"),
            u32("arg1"));
    public static final StructLayout GEN = struct("gen",
            XenTmemOid.LAYOUT.withName("oid"),
            u32("index"),
            u32("tmem_offset"),
            u32("pfn_offset"),
            u32("len"),
            u64("cmfn"));
    public static final StructLayout LAYOUT = struct("tmem_op",
            u32("cmd"),
            i32("pool_id"),
            union("u", CREAT, GEN));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int CMD_OFFSET = offsetOf(LAYOUT, "cmd");
    public static final int POOL_ID_OFFSET = offsetOf(LAYOUT, "pool_id");
    public static final int U_OFFSET = offsetOf(LAYOUT, "u");
    public static final int CREAT_UUID_OFFSET = offsetOf(LAYOUT, "u.creat.uuid");
    public static final int CREAT_FLAGS_OFFSET = offsetOf(LAYOUT, "u.creat.flags");
    public static final int CREAT_ARG1_OFFSET = offsetOf(LAYOUT, "u.creat.arg1");
    public static final int GEN_OID_OFFSET = offsetOf(LAYOUT, "u.gen.oid");
    public static final int GEN_INDEX_OFFSET = offsetOf(LAYOUT, "u.gen.index");
    public static final int GEN_TMEM_OFFSET_OFFSET = offsetOf(LAYOUT, "u.gen.tmem_offset");
    public static final int GEN_PFN_OFFSET_OFFSET = offsetOf(LAYOUT, "u.gen.pfn_offset");
    public static final int GEN_LEN_OFFSET = offsetOf(LAYOUT, "u.gen.len");
    public static final int GEN_CMFN_OFFSET = offsetOf(LAYOUT, "u.gen.cmfn");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long cmd() { return getU32(CMD_OFFSET); }
    public TmemOp cmd(long v) { putU32(CMD_OFFSET, v); return this; }
    /** Signed: a guest may pass any 32-bit value; Xen checks {@code (uint32_t)pool_id < 16}. */
    public int poolId() { return getI32(POOL_ID_OFFSET); }
    public TmemOp poolId(int v) { putU32(POOL_ID_OFFSET, v); return this; }

    public long creatUuid(int i) { return getU64(CREAT_UUID_OFFSET + 8L * Objects.checkIndex(i, 2)); }
    public TmemOp creatUuid(int i, long v) { putU64(CREAT_UUID_OFFSET + 8L * Objects.checkIndex(i, 2), v); return this; }
    public long creatFlags() { return getU32(CREAT_FLAGS_OFFSET); }
    public TmemOp creatFlags(long v) { putU32(CREAT_FLAGS_OFFSET, v); return this; }
    public long creatArg1() { return getU32(CREAT_ARG1_OFFSET); }
    public TmemOp creatArg1(long v) { putU32(CREAT_ARG1_OFFSET, v); return this; }

    public long genOid(int i) { return getU64(GEN_OID_OFFSET + 8L * Objects.checkIndex(i, XenTmemOid.WORDS)); }
    public TmemOp genOid(int i, long v) { putU64(GEN_OID_OFFSET + 8L * Objects.checkIndex(i, XenTmemOid.WORDS), v); return this; }
    public TmemOp genOid(long o0, long o1, long o2) { return genOid(0, o0).genOid(1, o1).genOid(2, o2); }
    public long genIndex() { return getU32(GEN_INDEX_OFFSET); }
    public TmemOp genIndex(long v) { putU32(GEN_INDEX_OFFSET, v); return this; }
    public long genTmemOffset() { return getU32(GEN_TMEM_OFFSET_OFFSET); }
    public TmemOp genTmemOffset(long v) { putU32(GEN_TMEM_OFFSET_OFFSET, v); return this; }
    public long genPfnOffset() { return getU32(GEN_PFN_OFFSET_OFFSET); }
    public TmemOp genPfnOffset(long v) { putU32(GEN_PFN_OFFSET_OFFSET, v); return this; }
    public long genLen() { return getU32(GEN_LEN_OFFSET); }
    public TmemOp genLen(long v) { putU32(GEN_LEN_OFFSET, v); return this; }
    public long genCmfn() { return getU64(GEN_CMFN_OFFSET); }
    public TmemOp genCmfn(long v) { putU64(GEN_CMFN_OFFSET, v); return this; }
}
