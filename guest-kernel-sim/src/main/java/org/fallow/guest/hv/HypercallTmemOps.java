package org.fallow.guest.hv;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;

import static org.fallow.abi.xen.TmemConstants.TMEM_DESTROY_POOL;
import static org.fallow.abi.xen.TmemConstants.TMEM_FLUSH_OBJECT;
import static org.fallow.abi.xen.TmemConstants.TMEM_FLUSH_PAGE;
import static org.fallow.abi.xen.TmemConstants.TMEM_GET_PAGE;
import static org.fallow.abi.xen.TmemConstants.TMEM_NEW_POOL;
import static org.fallow.abi.xen.TmemConstants.TMEM_POOL_VERSION_SHIFT;
import static org.fallow.abi.xen.TmemConstants.TMEM_PUT_PAGE;

/**
 * {@link TmemOps} as real hypercalls: writes a {@code struct tmem_op} into the guest's argument frame and issues
 * {@code tmem_op(handle)} with that frame's guest-physical address.
 *
 * <pre>
 * 4.12 tmem_op (56 bytes)                         2009 tmem_op (40 bytes)
 *  0 u32 cmd         4 s32 pool_id                 0 u32 cmd        4 s32 pool_id
 *  8 u64 uuid[0] | oid[0]                          8 u64 uuid[0] | object
 * 16 u64 uuid[1] | oid[1]                         16 u64 uuid[1] | u32 index, u32 tmem_offset
 * 24 u32 flags, u32 arg1 | u64 oid[2]             24 u32 flags | u32 pfn_offset, u32 len
 * 32 u32 index  36 u32 tmem_offset                32 u64 cmfn
 * 40 u32 pfn_offset 44 u32 len
 * 48 u64 cmfn
 * </pre>
 * In the 2009 profile the object id is a single u64 (oid[0]; oid[1..2] must be 0) and the NEW_POOL spec version is 0.
 */
public final class HypercallTmemOps implements TmemOps {
    private final Hypercaller hc;
    private final PhysMem mem;
    private final HypercallArgs args;
    private final AbiProfile profile;

    public HypercallTmemOps(Hypercaller hc, PhysMem mem, HypercallArgs args, AbiProfile profile) {
        this.hc = hc;
        this.mem = mem;
        this.args = args;
        this.profile = profile;
    }

    private boolean v2009() { return profile == AbiProfile.TMEM_2009; }

    private int opSize() { return v2009() ? 40 : 56; }

    private long begin(int cmd, int poolId) {
        long a = args.structGpa();
        mem.zero(a, opSize());
        mem.writeInt(a, cmd);
        mem.writeInt(a + 4, poolId);
        return a;
    }

    private long call(long a) { return hc.hypercall(Hypercalls.TMEM_OP, a); }

    @Override public long newPool(long uuidLo, long uuidHi, int flags) {
        long a = begin(TMEM_NEW_POOL, 0);
        mem.writeLong(a + 8, uuidLo);
        mem.writeLong(a + 16, uuidHi);
        int f = v2009() ? flags & ~(0xFF << TMEM_POOL_VERSION_SHIFT) : flags;
        mem.writeInt(a + 24, f);
        return call(a);
    }

    @Override public long destroyPool(int poolId) { return call(begin(TMEM_DESTROY_POOL, poolId)); }

    private long gen(int cmd, int poolId, long oid0, long oid1, long oid2, int index, long gfn) {
        long a = begin(cmd, poolId);
        if (v2009()) {
            mem.writeLong(a + 8, oid0);
            mem.writeInt(a + 16, index);
            mem.writeLong(a + 32, gfn);
        } else {
            mem.writeLong(a + 8, oid0);
            mem.writeLong(a + 16, oid1);
            mem.writeLong(a + 24, oid2);
            mem.writeInt(a + 32, index);
            mem.writeLong(a + 48, gfn);
        }
        return call(a);
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
