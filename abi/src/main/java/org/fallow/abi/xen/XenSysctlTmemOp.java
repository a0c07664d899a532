package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import java.util.Objects;

/**
 * {@code struct xen_sysctl_tmem_op} (sysctl.h, 4.12; 56 bytes), {@code xen_sysctl.u.tmem_op} for
 * {@code XEN_SYSCTL_tmem_op} (24). Sits at offset 8 of {@link XenSysctl}.
 * <pre>
 * xen_sysctl_tmem_op (56 bytes)
 * offset size  member    type
 *      0    4  cmd       le32
 *      4    4  pool_id   le32
 *      8    4  cli_id    le32
 *     12    4  len       le32
 *     16    4  arg       le32
 *     20    4  pad       le32
 *     24   24  oid       struct
 *     24   24    oid     le64[3]
 *     48    8  u         union
 *     48    8    buf     le64
 *     48    8    client  le64
 *     48    8    pool    le64
 * </pre>
 * A non-zero {@code pad} gets -EINVAL.
 */
public final class XenSysctlTmemOp extends Flyweight<XenSysctlTmemOp> {
    public static final StructLayout LAYOUT = struct("xen_sysctl_tmem_op",
            u32("cmd"),
            i32("pool_id"),
            u32("cli_id"),
            u32("len"),
            u32("arg"),
            u32("pad"),
            XenTmemOid.LAYOUT.withName("oid"),
            union("u", handle("buf"), handle("client"), handle("pool")));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int CMD_OFFSET = offsetOf(LAYOUT, "cmd");
    public static final int POOL_ID_OFFSET = offsetOf(LAYOUT, "pool_id");
    public static final int CLI_ID_OFFSET = offsetOf(LAYOUT, "cli_id");
    public static final int LEN_OFFSET = offsetOf(LAYOUT, "len");
    public static final int ARG_OFFSET = offsetOf(LAYOUT, "arg");
    public static final int PAD_OFFSET = offsetOf(LAYOUT, "pad");
    public static final int OID_OFFSET = offsetOf(LAYOUT, "oid");
    public static final int U_BUF_OFFSET = offsetOf(LAYOUT, "u.buf");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long cmd() { return getU32(CMD_OFFSET); }
    public XenSysctlTmemOp cmd(long v) { putU32(CMD_OFFSET, v); return this; }
    public int poolId() { return getI32(POOL_ID_OFFSET); }
    public XenSysctlTmemOp poolId(int v) { putU32(POOL_ID_OFFSET, v); return this; }
    public long cliId() { return getU32(CLI_ID_OFFSET); }
    public XenSysctlTmemOp cliId(long v) { putU32(CLI_ID_OFFSET, v); return this; }
    public long len() { return getU32(LEN_OFFSET); }
    public XenSysctlTmemOp len(long v) { putU32(LEN_OFFSET, v); return this; }
    public long arg() { return getU32(ARG_OFFSET); }
    public XenSysctlTmemOp arg(long v) { putU32(ARG_OFFSET, v); return this; }
    public long pad() { return getU32(PAD_OFFSET); }
    public XenSysctlTmemOp pad(long v) { putU32(PAD_OFFSET, v); return this; }
    public long oid(int i) { return getU64(OID_OFFSET + 8L * Objects.checkIndex(i, XenTmemOid.WORDS)); }
    public XenSysctlTmemOp oid(int i, long v) { putU64(OID_OFFSET + 8L * Objects.checkIndex(i, XenTmemOid.WORDS), v); return this; }
    /** {@code u.buf} / {@code u.client} / {@code u.pool}: the same 8-byte guest handle. */
    public long buf() { return getU64(U_BUF_OFFSET); }
    public XenSysctlTmemOp buf(long v) { putU64(U_BUF_OFFSET, v); return this; }
}
