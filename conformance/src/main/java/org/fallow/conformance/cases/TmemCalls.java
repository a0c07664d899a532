package org.fallow.conformance.cases;

import org.fallow.abi.xen.XenTmemPoolInfo;
import org.fallow.abi.xen.XenSysctlTmemOp;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.xen.SysctlConstants;
import org.fallow.abi.xen.TmemOp;
import org.fallow.abi.xen.XenSysctl;
import org.fallow.conformance.Guest;
import org.fallow.conformance.MappedFile;
import org.fallow.conformance.Toolstack;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.Consumer;

import static org.fallow.abi.xen.TmemConstants.*;

/**
 * tmem_op calls from a guest (struct at gfn 1, put source gfn 2, get destination gfn 3) and XEN_SYSCTL_tmem_op calls
 * from the toolstack with the 56-byte {@code xen_sysctl_tmem_op} written by hand at {@code xen_sysctl.u} (offset 8):
 * cmd @8, pool_id @12, cli_id @16, len @20, arg @24, pad @28, oid @32, buf @56 (Xen 4.12 common/tmem_control.c, public/sysctl.h).
 */
final class TmemCalls {
    private TmemCalls() {}

    static final long OP_GFN = 1, SRC_GFN = 2, DST_GFN = 3;
    static final long OID0 = 0x1111, OID1 = 0x2222, OID2 = 0x3333;
    static final int RC_EFROZEN = -org.fallow.abi.XenErrno.EFROZEN, RC_EEMPTY = -org.fallow.abi.XenErrno.EEMPTY;
    /** xen_tmem_pool_info.flags.u.auth (bit 2). */
    static final int POOL_INFO_AUTH = XenTmemPoolInfo.FLAG_AUTH;
    static final int POOL_INFO_SIZE = XenTmemPoolInfo.SIZE, CLIENT_SIZE = org.fallow.abi.xen.XenTmemClient.SIZE;

    static long tmem(Guest g, int cmd, int pool, Consumer<TmemOp> fill) throws Exception {
        TmemOp op = new TmemOp().wrap(g.page(OP_GFN), 0).clear().cmd(cmd).poolId(pool);
        if (fill != null) fill.accept(op);
        return g.hypercall(Hypercalls.TMEM_OP, Guest.gpa(OP_GFN, 0));
    }

    static long newPool(Guest g, int flags, long uuid0, long uuid1) throws Exception {
        return tmem(g, TMEM_NEW_POOL, 0, op -> op.creatUuid(0, uuid0).creatUuid(1, uuid1).creatFlags(flags));
    }

    static long page(Guest g, int cmd, int pool, long index, long gfn) throws Exception {
        return tmem(g, cmd, pool, op -> op.genOid(0, OID0).genOid(1, OID1).genOid(2, OID2).genIndex(index).genCmfn(gfn));
    }

    /** Fills gfn SRC_GFN with a pattern derived from {@code seed} and returns its bytes. */
    static byte[] fillSource(Guest g, int seed) {
        MemorySegment src = g.page(SRC_GFN);
        for (int i = 0; i < Guest.PAGE; i++) src.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 13 + seed));
        return src.toArray(ValueLayout.JAVA_BYTE);
    }

    static byte[] destination(Guest g) { return g.page(DST_GFN).toArray(ValueLayout.JAVA_BYTE); }

    /** XEN_SYSCTL_tmem_op with every field of the sub-struct given; returns the hypercall's value. */
    static long sysctl(Toolstack ts, int subop, int poolId, int cliId, long len, int arg, long buf) throws Exception {
        Toolstack.Buf s = ts.alloc(XenSysctl.SIZE);
        sysctlOp(s.seg(), subop, poolId, cliId, len, arg, buf);
        return ts.hypercall(Hypercalls.SYSCTL, s.handle());
    }

    /** Writes a xen_sysctl of XEN_SYSCTL_tmem_op (4.12 interface version) into {@code m}; returns the sub-struct. */
    static XenSysctlTmemOp sysctlOp(MemorySegment m, int subop, int poolId, int cliId, long len, int arg, long buf) {
        XenSysctl s = new XenSysctl().wrap(m, 0).clear().cmd(SysctlConstants.XEN_SYSCTL_tmem_op)
                .interfaceVersion(SysctlConstants.XEN_SYSCTL_INTERFACE_VERSION);
        return s.tmemOp().cmd(subop).poolId(poolId).cliId(cliId).len(len).arg(arg).pad(0).buf(buf);
    }

    /** One xen_tmem_pool_info (abi's {@link XenTmemPoolInfo}), entry {@code i} of an array. */
    record PoolInfo(int flags, int id, long nPages, long uuid0, long uuid1) {
        static PoolInfo read(MemorySegment s, int i) {
            XenTmemPoolInfo p = new XenTmemPoolInfo().wrap(s, (long) i * POOL_INFO_SIZE);
            return new PoolInfo((int) p.flags(), (int) p.id(), p.nPages(), p.uuid(0), p.uuid(1));
        }

        void write(MemorySegment s, int i) {
            new XenTmemPoolInfo().wrap(s, (long) i * POOL_INFO_SIZE).flags(flags).id(id).nPages(nPages).uuid(0, uuid0).uuid(1, uuid1);
        }
    }

    /** SET_AUTH (subop 11) of one uuid for {@code domid}: flags.u.auth = 1 adds it to the client's auth list. */
    static long setAuth(Toolstack ts, int domid, long uuid0, long uuid1, boolean auth) throws Exception {
        Toolstack.Buf b = ts.alloc(POOL_INFO_SIZE);
        new PoolInfo(auth ? POOL_INFO_AUTH : 0, 0, 0, uuid0, uuid1).write(b.seg(), 0);
        return sysctl(ts, XEN_SYSCTL_TMEM_OP_SET_AUTH, 0, domid, POOL_INFO_SIZE, 0, b.handle());
    }
}
