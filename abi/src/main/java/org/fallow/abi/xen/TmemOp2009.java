package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import java.util.Objects;

/**
 * {@code struct tmem_op} of the 2009 tmem ABI, profile "2009" (x86_64: 40 bytes, align 8), in the layout of the first
 * tmem commit 6009f4ddb2 (2009-05-26) — the one seed 002's {@code xc_tmem_control(xc, pool_id, subop, cli_id, arg1,
 * arg2, buf)} fills — with the member names that c93bd0e6ea gave the same offsets ({@code u.new}/{@code u.ctrl}/{@code u.gen}).
 * <pre>
 * tmem_op (40 bytes)
 * offset size  member           type
 *      0    4  cmd              le32
 *      4    4  pool_id          le32
 *      8   32  u                union
 *      8   20    new            struct
 *      8   16      uuid         le64[2]
 *     24    4      flags        le32
 *      8   24    ctrl           struct
 *      8    4      subop        le32
 *     12    4      cli_id       le32
 *     16    4      arg1         le32
 *     20    4      arg2         le32
 *     24    8      buf          le64
 *      8   32    gen            struct
 *      8    8      object       le64
 *     16    4      index        le32
 *     20    4      tmem_offset  le32
 *     24    4      pfn_offset   le32
 *     28    4      len          le32
 *     32    8      cmfn         le64
 * </pre>
 * Two months later 734a7f6677 (save/restore + auth) added {@code u.new.arg1} at 28 and a u64 {@code u.ctrl.arg3} at
 * 24, which moved {@code buf} to 32 ({@link #CTRL_BUF_OFFSET_734A7F6677}); size stays 40. Fallow's "2009" profile is
 * the original layout, so the seed's libxc code works as written.
 */
public final class TmemOp2009 extends Flyweight<TmemOp2009> {
    public static final StructLayout NEW = struct("new",
            array("uuid", 2, U64),
            u32("flags"));
    public static final StructLayout CTRL = struct("ctrl",
            u32("subop"),
            u32("cli_id"),
            u32("arg1"),
            u32("arg2"),
            handle("buf"));
    public static final StructLayout GEN = struct("gen",
            u64("object"),
            u32("index"),
            u32("tmem_offset"),
            u32("pfn_offset"),
            u32("len"),
            u64("cmfn"));
    public static final StructLayout LAYOUT = struct("tmem_op",
            u32("cmd"),
            i32("pool_id"),
            union("u", NEW, CTRL, GEN));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int CMD_OFFSET = offsetOf(LAYOUT, "cmd");
    public static final int POOL_ID_OFFSET = offsetOf(LAYOUT, "pool_id");
    public static final int NEW_UUID_OFFSET = offsetOf(LAYOUT, "u.new.uuid");
    public static final int NEW_FLAGS_OFFSET = offsetOf(LAYOUT, "u.new.flags");
    public static final int CTRL_SUBOP_OFFSET = offsetOf(LAYOUT, "u.ctrl.subop");
    public static final int CTRL_CLI_ID_OFFSET = offsetOf(LAYOUT, "u.ctrl.cli_id");
    public static final int CTRL_ARG1_OFFSET = offsetOf(LAYOUT, "u.ctrl.arg1");
    public static final int CTRL_ARG2_OFFSET = offsetOf(LAYOUT, "u.ctrl.arg2");
    public static final int CTRL_BUF_OFFSET = offsetOf(LAYOUT, "u.ctrl.buf");
    /** Where {@code u.ctrl.buf} moved in 734a7f6677 (after {@code arg3} was added); not used by this profile. */
    public static final int CTRL_BUF_OFFSET_734A7F6677 = 32;
    public static final int GEN_OBJECT_OFFSET = offsetOf(LAYOUT, "u.gen.object");
    public static final int GEN_INDEX_OFFSET = offsetOf(LAYOUT, "u.gen.index");
    public static final int GEN_TMEM_OFFSET_OFFSET = offsetOf(LAYOUT, "u.gen.tmem_offset");
    public static final int GEN_PFN_OFFSET_OFFSET = offsetOf(LAYOUT, "u.gen.pfn_offset");
    public static final int GEN_LEN_OFFSET = offsetOf(LAYOUT, "u.gen.len");
    public static final int GEN_CMFN_OFFSET = offsetOf(LAYOUT, "u.gen.cmfn");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long cmd() { return getU32(CMD_OFFSET); }
    public TmemOp2009 cmd(long v) { putU32(CMD_OFFSET, v); return this; }
    public int poolId() { return getI32(POOL_ID_OFFSET); }
    public TmemOp2009 poolId(int v) { putU32(POOL_ID_OFFSET, v); return this; }

    public long newUuid(int i) { return getU64(NEW_UUID_OFFSET + 8L * Objects.checkIndex(i, 2)); }
    public TmemOp2009 newUuid(int i, long v) { putU64(NEW_UUID_OFFSET + 8L * Objects.checkIndex(i, 2), v); return this; }
    public long newFlags() { return getU32(NEW_FLAGS_OFFSET); }
    public TmemOp2009 newFlags(long v) { putU32(NEW_FLAGS_OFFSET, v); return this; }

    public long ctrlSubop() { return getU32(CTRL_SUBOP_OFFSET); }
    public TmemOp2009 ctrlSubop(long v) { putU32(CTRL_SUBOP_OFFSET, v); return this; }
    /** Raw 32-bit cli_id; Xen truncates it to a domid_t, so (uint32)-1 means all clients (0xFFFF). */
    public long ctrlCliId() { return getU32(CTRL_CLI_ID_OFFSET); }
    public TmemOp2009 ctrlCliId(long v) { putU32(CTRL_CLI_ID_OFFSET, v); return this; }
    public long ctrlArg1() { return getU32(CTRL_ARG1_OFFSET); }
    public TmemOp2009 ctrlArg1(long v) { putU32(CTRL_ARG1_OFFSET, v); return this; }
    public long ctrlArg2() { return getU32(CTRL_ARG2_OFFSET); }
    public TmemOp2009 ctrlArg2(long v) { putU32(CTRL_ARG2_OFFSET, v); return this; }
    public long ctrlBuf() { return getU64(CTRL_BUF_OFFSET); }
    public TmemOp2009 ctrlBuf(long v) { putU64(CTRL_BUF_OFFSET, v); return this; }

    public long genObject() { return getU64(GEN_OBJECT_OFFSET); }
    public TmemOp2009 genObject(long v) { putU64(GEN_OBJECT_OFFSET, v); return this; }
    public long genIndex() { return getU32(GEN_INDEX_OFFSET); }
    public TmemOp2009 genIndex(long v) { putU32(GEN_INDEX_OFFSET, v); return this; }
    public long genTmemOffset() { return getU32(GEN_TMEM_OFFSET_OFFSET); }
    public TmemOp2009 genTmemOffset(long v) { putU32(GEN_TMEM_OFFSET_OFFSET, v); return this; }
    public long genPfnOffset() { return getU32(GEN_PFN_OFFSET_OFFSET); }
    public TmemOp2009 genPfnOffset(long v) { putU32(GEN_PFN_OFFSET_OFFSET, v); return this; }
    public long genLen() { return getU32(GEN_LEN_OFFSET); }
    public TmemOp2009 genLen(long v) { putU32(GEN_LEN_OFFSET, v); return this; }
    public long genCmfn() { return getU64(GEN_CMFN_OFFSET); }
    public TmemOp2009 genCmfn(long v) { putU64(GEN_CMFN_OFFSET, v); return this; }
}
