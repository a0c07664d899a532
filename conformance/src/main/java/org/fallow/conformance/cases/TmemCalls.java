package org.fallow.conformance.cases;

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

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.TmemConstants.*;

/**
 * tmem_op calls from a guest (struct at gfn 1, put source gfn 2, get destination gfn 3) and XEN_SYSCTL_tmem_op calls
 * from the toolstack with the 56-byte {@code xen_sysctl_tmem_op} written by hand at {@code xen_sysctl.u} (offset 8):
 * cmd @8, pool_id @12, cli_id @16, len @20, arg @24, pad @28, oid @32, buf @56 (xen-abi §2.5).
 */
final class TmemCalls {
    private TmemCalls() {}

    static final long OP_GFN = 1, SRC_GFN = 2, DST_GFN = 3;
    static final long OID0 = 0x1111, OID1 = 0x2222, OID2 = 0x3333;
    static final int RC_EFROZEN = -org.fallow.abi.XenErrno.EFROZEN, RC_EEMPTY = -org.fallow.abi.XenErrno.EEMPTY;
    /** xen_tmem_pool_info.flags.u.auth (bit 2). */
    static final int POOL_INFO_AUTH = 1 << 2;
    static final int POOL_INFO_SIZE = 32, CLIENT_SIZE = 20;

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
        MemorySegment m = s.seg();
        m.set(U32_UNALIGNED, 0, SysctlConstants.XEN_SYSCTL_tmem_op);
        m.set(U32_UNALIGNED, 4, SysctlConstants.XEN_SYSCTL_INTERFACE_VERSION);
        m.set(U32_UNALIGNED, 8, subop);
        m.set(U32_UNALIGNED, 12, poolId);
        m.set(U32_UNALIGNED, 16, cliId);
        m.set(U32_UNALIGNED, 20, (int) len);
        m.set(U32_UNALIGNED, 24, arg);
        m.set(U32_UNALIGNED, 28, 0);
        m.set(U64_UNALIGNED, 56, buf);
        return ts.hypercall(Hypercalls.SYSCTL, s.handle());
    }

    /** One xen_tmem_pool_info (32 bytes): flags.raw @0, id @4, n_pages @8, uuid[2] @16. */
    record PoolInfo(int flags, int id, long nPages, long uuid0, long uuid1) {
        static PoolInfo read(MemorySegment s, int i) {
            long o = (long) i * POOL_INFO_SIZE;
            return new PoolInfo(s.get(U32_UNALIGNED, o), s.get(U32_UNALIGNED, o + 4), s.get(U64_UNALIGNED, o + 8),
                    s.get(U64_UNALIGNED, o + 16), s.get(U64_UNALIGNED, o + 24));
        }

        void write(MemorySegment s, int i) {
            long o = (long) i * POOL_INFO_SIZE;
            s.set(U32_UNALIGNED, o, flags);
            s.set(U32_UNALIGNED, o + 4, id);
            s.set(U64_UNALIGNED, o + 8, nPages);
            s.set(U64_UNALIGNED, o + 16, uuid0);
            s.set(U64_UNALIGNED, o + 24, uuid1);
        }
    }

    /** SET_AUTH (subop 11) of one uuid for {@code domid}: flags.u.auth = 1 adds it to the client's auth list. */
    static long setAuth(Toolstack ts, int domid, long uuid0, long uuid1, boolean auth) throws Exception {
        Toolstack.Buf b = ts.alloc(POOL_INFO_SIZE);
        new PoolInfo(auth ? POOL_INFO_AUTH : 0, 0, 0, uuid0, uuid1).write(b.seg(), 0);
        return sysctl(ts, XEN_SYSCTL_TMEM_OP_SET_AUTH, 0, domid, POOL_INFO_SIZE, 0, b.handle());
    }
}
