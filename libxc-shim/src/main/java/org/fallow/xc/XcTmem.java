package org.fallow.xc;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.xen.SysctlConstants;
import org.fallow.abi.xen.TmemConstants;
import org.fallow.abi.xen.TmemOp2009;
import org.fallow.abi.xen.XenSysctl;
import org.fallow.abi.xen.XenSysctlTmemOp;
import org.fallow.abi.xen.XenTmemClient;
import org.fallow.abi.xen.XenTmemPoolInfo;
import org.fallow.xc.transport.HypercallBuffer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * libxc's tmem calls (tools/libxc/xc_tmem.c): {@code xc_tmem_control} of Xen 4.12 (XEN_SYSCTL_tmem_op) and of the
 * 2009 ABI (tmem_op TMEM_CONTROL, as seed 002 calls it), {@code xc_tmem_auth}, and small typed helpers the toolstack
 * commands use. Every call returns Xen's value (a negated Xen errno on failure; tmem control's "-1" is -EPERM),
 * not libxc's -1/errno. The 2009 calls need a handle opened with the 2009 profile (40-byte tmem_op).
 */
public final class XcTmem {
    /** xl's LIST buffer size. */
    public static final int LIST_BUF = 32768;
    private final XcHandle xc;

    public XcTmem(XcHandle xc) { this.xc = xc; }

    /**
     * {@code xc_tmem_control} as the libxc of the handle's ABI profile spells it, so C-style calls work as written:
     * 2009 (seed 002): {@code xc_tmem_control(xc, pool_id, subop, cli_id, arg1, arg2, buf)} through TMEM_CONTROL;
     * 4.12: {@code xc_tmem_control(xch, pool_id, cmd, cli_id, len, arg, buf)} through XEN_SYSCTL_tmem_op.
     */
    public static long xc_tmem_control(XcHandle xc, int poolId, int subop, int cliId, int a, int b, MemorySegment buf) throws IOException {
        XcTmem t = new XcTmem(xc);
        return xc.connection().profile() == AbiProfile.TMEM_2009 ? t.control2009(poolId, subop, cliId, a, b, buf)
                : t.control(poolId, subop, cliId, a, b, buf);
    }

    /** {@code xc_tmem_auth(xch, cli_id, uuid_str, enable)} (4.12). */
    public static long xc_tmem_auth(XcHandle xc, int cliId, String uuid, int enable) throws IOException {
        return new XcTmem(xc).auth(cliId, uuid, enable != 0);
    }

    /**
     * 4.12 {@code xc_tmem_control(xch, pool_id, cmd, cli_id, len, arg, buf)}: {@code buf} ({@code len} bytes, may be
     * null when len is 0) is bounced through the hypercall arena: copied in for SET_CLIENT_INFO / SET_AUTH /
     * SET_POOLS and copied back out after every call.
     */
    public long control(int poolId, int cmd, int cliId, int len, int arg, MemorySegment buf) throws IOException {
        if (len != 0 && (buf == null || buf.byteSize() < Integer.toUnsignedLong(len)))
            throw new IllegalArgumentException("buffer of " + Integer.toUnsignedLong(len) + " bytes needed");
        MemorySegment sysctl = Arena.ofAuto().allocate(XenSysctl.SIZE, 8);
        XenSysctl s = new XenSysctl().wrap(sysctl, 0).cmd(SysctlConstants.XEN_SYSCTL_tmem_op);
        XenSysctlTmemOp op = s.tmemOp().poolId(poolId).cmd(cmd).cliId(Integer.toUnsignedLong(cliId))
                .len(Integer.toUnsignedLong(len)).arg(Integer.toUnsignedLong(arg)).pad(0).oid(0, 0).oid(1, 0).oid(2, 0);
        if (len == 0) return xc.sysctl(sysctl);
        try (HypercallBuffer.Buf b = xc.buffers().allocate(Integer.toUnsignedLong(len))) {
            MemorySegment.copy(buf, 0, b.segment(), 0, Integer.toUnsignedLong(len));
            op.buf(b.handle());
            long rc = xc.sysctl(sysctl);
            MemorySegment.copy(b.segment(), 0, buf, 0, Integer.toUnsignedLong(len));
            return rc;
        }
    }

    /**
     * The 2009 {@code xc_tmem_control(xc, pool_id, subop, cli_id, arg1, arg2, buf)} (6009f4ddb2): a tmem_op with
     * cmd TMEM_CONTROL. For TMEMC_LIST {@code arg1} is the length of {@code buf}, which is bounced out.
     */
    public long control2009(int poolId, int subop, int cliId, int arg1, int arg2, MemorySegment buf) throws IOException {
        long blen = subop == TmemConstants.TMEMC_LIST ? Integer.toUnsignedLong(arg1) : 0;
        if (blen != 0 && (buf == null || buf.byteSize() < blen)) throw new IllegalArgumentException("buffer of " + blen + " bytes needed");
        try (HypercallBuffer.Buf opb = xc.buffers().allocate(TmemOp2009.SIZE);
             HypercallBuffer.Buf bb = blen == 0 ? null : xc.buffers().allocate(blen)) {
            new TmemOp2009().wrap(opb.segment(), 0).cmd(TmemConstants.TMEM_CONTROL).poolId(poolId).ctrlSubop(subop)
                    .ctrlCliId(Integer.toUnsignedLong(cliId)).ctrlArg1(Integer.toUnsignedLong(arg1))
                    .ctrlArg2(Integer.toUnsignedLong(arg2)).ctrlBuf(bb == null ? 0 : bb.handle());
            long rc = xc.hypercall(Hypercalls.TMEM_OP, opb.handle());
            if (bb != null) MemorySegment.copy(bb.segment(), 0, buf, 0, blen);
            return rc;
        }
    }

    /**
     * {@code xc_tmem_auth(xch, cli_id, uuid_str, enable)}: SET_AUTH with one xen_tmem_pool_info. An unparsable uuid
     * throws IllegalArgumentException (libxc returns -1 with "Can't parse uuid").
     */
    public long auth(int cliId, String uuid, boolean enable) throws IOException {
        long[] u = parseUuid(uuid);
        if (u == null) throw new IllegalArgumentException("can't parse uuid '" + uuid + "', use xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx");
        MemorySegment pool = Arena.ofAuto().allocate(XenTmemPoolInfo.SIZE, 8);
        new XenTmemPoolInfo().wrap(pool, 0).flags(enable ? XenTmemPoolInfo.FLAG_AUTH : 0).id(0).nPages(0).uuid(0, u[0]).uuid(1, u[1]);
        return control(0, TmemConstants.XEN_SYSCTL_TMEM_OP_SET_AUTH, cliId, XenTmemPoolInfo.SIZE, 0, pool);
    }

    /**
     * libxc's xc_tmem_uuid_parse: 36 characters with dashes at 8, 13, 18, 23; the hex digits before the dash at 18
     * go into uuid[1] (hi), the rest into uuid[0] (lo). Returns {lo, hi} or null.
     */
    public static long[] parseUuid(String s) {
        long lo = 0, hi = 0;
        boolean inHi = true;
        int i = 0;
        for (; i < s.length() && i != 36; i++) {
            char c = s.charAt(i);
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                if (c != '-') return null;
                if (i == 18) inHi = false;
                continue;
            }
            int d = Character.digit(c, 16);
            if (d < 0) return null;
            if (inHi) hi = hi << 4 | d; else lo = lo << 4 | d;
        }
        if ((i != 1 && i != 36) || i != s.length()) return null;
        return new long[] {lo, hi};
    }

    // ---- typed helpers over the 4.12 sysctl

    /** LIST as text (xl tmem-list): {@code cliId} 0xFFFF (or -1) = all. Null if the client is unknown (-1). */
    public String list(int cliId, boolean longFormat) throws IOException {
        MemorySegment buf = Arena.ofAuto().allocate(LIST_BUF);
        long rc = control(-1, TmemConstants.XEN_SYSCTL_TMEM_OP_LIST, cliId, LIST_BUF, longFormat ? 1 : 0, buf);
        return rc < 0 ? null : buf.getString(0, StandardCharsets.US_ASCII);
    }

    /** LIST through the 2009 TMEM_CONTROL. */
    public String list2009(int cliId, boolean longFormat) throws IOException {
        MemorySegment buf = Arena.ofAuto().allocate(LIST_BUF);
        long rc = control2009(-1, TmemConstants.TMEMC_LIST, cliId, LIST_BUF, longFormat ? 1 : 0, buf);
        return rc < 0 ? null : buf.getString(0, StandardCharsets.US_ASCII);
    }

    /** A subop without a buffer (THAW, FREEZE, DESTROY, FLUSH, QUERY_FREEABLE_MB, SAVE_*, RESTORE_BEGIN). */
    public long simple(int cmd, int cliId, int arg) throws IOException { return control(-1, cmd, cliId, 0, arg, null); }

    /** GET_CLIENT_INFO: {version, maxpools, nr_pools, flags, weight}, or null on error. */
    public int[] clientInfo(int cliId) throws IOException {
        MemorySegment b = Arena.ofAuto().allocate(XenTmemClient.SIZE, 8);
        long rc = control(-1, TmemConstants.XEN_SYSCTL_TMEM_OP_GET_CLIENT_INFO, cliId, XenTmemClient.SIZE, 0, b);
        if (rc < 0) return null;
        XenTmemClient c = new XenTmemClient().wrap(b, 0);
        return new int[] {(int) c.version(), (int) c.maxpools(), (int) c.nrPools(), (int) c.flags(), (int) c.weight()};
    }

    /**
     * xl tmem-set: GET_CLIENT_INFO then SET_CLIENT_INFO with a new weight and/or compress flag (null = keep).
     * Returns Xen's value of the SET.
     */
    public long setClientInfo(int cliId, Integer weight, Boolean compress) throws IOException {
        int[] cur = clientInfo(cliId);
        if (cur == null) return -1;
        MemorySegment b = Arena.ofAuto().allocate(XenTmemClient.SIZE, 8);
        long flags = cur[3];
        if (compress != null) flags = compress ? flags | XenTmemClient.FLAG_COMPRESS : flags & ~XenTmemClient.FLAG_COMPRESS;
        new XenTmemClient().wrap(b, 0).version(cur[0]).maxpools(cur[1]).nrPools(cur[2]).flags(flags)
                .weight(weight != null ? Integer.toUnsignedLong(weight) : Integer.toUnsignedLong(cur[4]));
        return control(-1, TmemConstants.XEN_SYSCTL_TMEM_OP_SET_CLIENT_INFO, cliId, XenTmemClient.SIZE, 0, b);
    }

    /** One xen_tmem_pool_info as GET_POOLS returns it. */
    public record PoolInfo(int flags, int id, long nPages, long uuid0, long uuid1) {}

    /** GET_POOLS (up to 16 entries), or null on error. */
    public List<PoolInfo> pools(int cliId) throws IOException {
        int len = TmemConstants.MAX_POOLS_PER_DOMAIN * XenTmemPoolInfo.SIZE;
        MemorySegment b = Arena.ofAuto().allocate(len, 8);
        long rc = control(-1, TmemConstants.XEN_SYSCTL_TMEM_OP_GET_POOLS, cliId, len, 0, b);
        if (rc < 0) return null;
        List<PoolInfo> out = new ArrayList<>();
        XenTmemPoolInfo p = new XenTmemPoolInfo();
        for (int i = 0; i < rc; i++) {
            p.wrap(b, (long) i * XenTmemPoolInfo.SIZE);
            out.add(new PoolInfo((int) p.flags(), (int) p.id(), p.nPages(), p.uuid(0), p.uuid(1)));
        }
        return out;
    }
}
