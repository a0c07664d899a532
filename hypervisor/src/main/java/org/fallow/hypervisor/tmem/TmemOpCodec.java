package org.fallow.hypervisor.tmem;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.xen.TmemConstants;
import org.fallow.abi.xen.TmemOp;
import org.fallow.abi.xen.TmemOp2009;

import java.lang.foreign.MemorySegment;

/**
 * Reads {@code struct tmem_op} as the caller wrote it, per ABI profile, through abi's flyweights: {@link TmemOp}
 * (4.12, 56 bytes) and {@link TmemOp2009} (6009f4ddb2, 40 bytes); their layouts (and diagrams) are the one
 * declaration of the struct. The encoders are the client side of the same flyweights, for tests and benchmarks.
 */
public final class TmemOpCodec {
    public static final int SIZE_412 = TmemOp.SIZE, SIZE_2009 = TmemOp2009.SIZE;

    private TmemOpCodec() {}

    public static int size(AbiProfile p) { return p == AbiProfile.TMEM_2009 ? SIZE_2009 : SIZE_412; }

    public static TmemRequest decode(AbiProfile p, MemorySegment s) {
        if (p == AbiProfile.TMEM_2009) {
            TmemOp2009 op = new TmemOp2009().wrap(s, 0);
            return new TmemRequest((int) op.cmd(), op.poolId(), op.newUuid(0), op.newUuid(1), (int) op.newFlags(),
                    TmemOid.of2009(op.genObject()), (int) op.genIndex(), (int) op.genTmemOffset(), (int) op.genPfnOffset(),
                    (int) op.genLen(), op.genCmfn(), (int) op.ctrlSubop(), (int) op.ctrlCliId(), (int) op.ctrlArg1(),
                    (int) op.ctrlArg2(), op.ctrlBuf());
        }
        TmemOp op = new TmemOp().wrap(s, 0);
        return new TmemRequest((int) op.cmd(), op.poolId(), op.creatUuid(0), op.creatUuid(1), (int) op.creatFlags(),
                new TmemOid(op.genOid(0), op.genOid(1), op.genOid(2)), (int) op.genIndex(), (int) op.genTmemOffset(),
                (int) op.genPfnOffset(), (int) op.genLen(), op.genCmfn(), 0, 0, 0, 0, 0);
    }

    /** Encodes a page op (client side / tests). */
    public static void encodePage(AbiProfile p, MemorySegment s, int cmd, int poolId, TmemOid oid, int index, long cmfn) {
        if (p == AbiProfile.TMEM_2009) {
            new TmemOp2009().wrap(s, 0).clear().cmd(cmd).poolId(poolId).genObject(oid.oid0()).genIndex(index).genCmfn(cmfn);
        } else {
            new TmemOp().wrap(s, 0).clear().cmd(cmd).poolId(poolId).genOid(oid.oid0(), oid.oid1(), oid.oid2())
                    .genIndex(index).genCmfn(cmfn);
        }
    }

    /** Encodes NEW_POOL (client side / tests). */
    public static void encodeNewPool(AbiProfile p, MemorySegment s, long uuid0, long uuid1, int flags) {
        if (p == AbiProfile.TMEM_2009) {
            new TmemOp2009().wrap(s, 0).clear().cmd(TmemConstants.TMEM_NEW_POOL).newUuid(0, uuid0).newUuid(1, uuid1).newFlags(flags);
        } else {
            new TmemOp().wrap(s, 0).clear().cmd(TmemConstants.TMEM_NEW_POOL).creatUuid(0, uuid0).creatUuid(1, uuid1).creatFlags(flags);
        }
    }

    /** Encodes the 2009 TMEM_CONTROL (6009f4ddb2 layout: buf at 24). */
    public static void encodeControl2009(MemorySegment s, int poolId, int subop, int cliId, int arg1, int arg2, long buf) {
        new TmemOp2009().wrap(s, 0).clear().cmd(TmemConstants.TMEM_CONTROL).poolId(poolId).ctrlSubop(subop)
                .ctrlCliId(cliId).ctrlArg1(arg1).ctrlArg2(arg2).ctrlBuf(buf);
    }
}
