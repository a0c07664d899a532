package org.fallow.guest.hv;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.xen.TmemOp;
import org.fallow.abi.xen.TmemOp2009;

import static org.fallow.abi.xen.TmemConstants.TMEM_DESTROY_POOL;
import static org.fallow.abi.xen.TmemConstants.TMEM_FLUSH_OBJECT;
import static org.fallow.abi.xen.TmemConstants.TMEM_FLUSH_PAGE;
import static org.fallow.abi.xen.TmemConstants.TMEM_GET_PAGE;
import static org.fallow.abi.xen.TmemConstants.TMEM_NEW_POOL;
import static org.fallow.abi.xen.TmemConstants.TMEM_POOL_VERSION_MASK;
import static org.fallow.abi.xen.TmemConstants.TMEM_POOL_VERSION_SHIFT;
import static org.fallow.abi.xen.TmemConstants.TMEM_PUT_PAGE;

/**
 * {@link TmemOps} as real hypercalls: builds a {@code struct tmem_op} with abi's flyweight of the connection's profile
 * ({@link TmemOp} for 4.12, {@link TmemOp2009} for 2009), writes it into the guest's argument frame and issues
 * {@code tmem_op(handle)} with that frame's guest-physical address. In the 2009 profile the object id is a single u64
 * (oid[0]; oid[1..2] must be 0) and the NEW_POOL spec version is 0.
 */
public final class HypercallTmemOps implements TmemOps {
    private final Hypercaller hc;
    private final PhysMem mem;
    private final HypercallArgs args;
    private final AbiProfile profile;
    private final TmemOp op = new TmemOp().wrapNew();
    private final TmemOp2009 op2009 = new TmemOp2009().wrapNew();

    public HypercallTmemOps(Hypercaller hc, PhysMem mem, HypercallArgs args, AbiProfile profile) {
        this.hc = hc;
        this.mem = mem;
        this.args = args;
        this.profile = profile;
    }

    private boolean v2009() { return profile == AbiProfile.TMEM_2009; }

    /** Writes the built struct into the argument frame and issues the hypercall. */
    private long call() {
        long a = args.structGpa();
        mem.write(a, v2009() ? op2009.slice() : op.slice());
        return hc.hypercall(Hypercalls.TMEM_OP, a);
    }

    @Override public long newPool(long uuidLo, long uuidHi, int flags) {
        if (v2009()) {
            op2009.clear().cmd(TMEM_NEW_POOL).newUuid(0, uuidLo).newUuid(1, uuidHi)
                    .newFlags(flags & ~(TMEM_POOL_VERSION_MASK << TMEM_POOL_VERSION_SHIFT));
        } else {
            op.clear().cmd(TMEM_NEW_POOL).creatUuid(0, uuidLo).creatUuid(1, uuidHi).creatFlags(flags);
        }
        return call();
    }

    @Override public long destroyPool(int poolId) {
        if (v2009()) op2009.clear().cmd(TMEM_DESTROY_POOL).poolId(poolId);
        else op.clear().cmd(TMEM_DESTROY_POOL).poolId(poolId);
        return call();
    }

    private long gen(int cmd, int poolId, long oid0, long oid1, long oid2, int index, long gfn) {
        if (v2009()) op2009.clear().cmd(cmd).poolId(poolId).genObject(oid0).genIndex(index).genCmfn(gfn);
        else op.clear().cmd(cmd).poolId(poolId).genOid(oid0, oid1, oid2).genIndex(index).genCmfn(gfn);
        return call();
    }

    @Override public long putPage(int poolId, long oid0, long oid1, long oid2, int index, long gfn) {
        return gen(TMEM_PUT_PAGE, poolId, oid0, oid1, oid2, index, gfn);
    }

    @Override public long getPage(int poolId, long oid0, long oid1, long oid2, int index, long gfn) {
        return gen(TMEM_GET_PAGE, poolId, oid0, oid1, oid2, index, gfn);
    }

    @Override public long flushPage(int poolId, long oid0, long oid1, long oid2, int index) {
        return gen(TMEM_FLUSH_PAGE, poolId, oid0, oid1, oid2, index, 0);
    }

    @Override public long flushObject(int poolId, long oid0, long oid1, long oid2) {
        return gen(TMEM_FLUSH_OBJECT, poolId, oid0, oid1, oid2, 0, 0);
    }
}
