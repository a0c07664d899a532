package org.fallow.hypervisor.tmem;

/**
 * One decoded {@code struct tmem_op}, either profile. Page ops use {@code oid, index, cmfn} (+ the 2009 partial-copy
 * fields {@code tmemOffset, pfnOffset, len}); NEW_POOL uses {@code uuid0, uuid1, flags}; the 2009 TMEM_CONTROL uses
 * {@code subop, cliId, arg1, arg2, buf}.
 */
public record TmemRequest(int cmd, int poolId, long uuid0, long uuid1, int flags, TmemOid oid, int index,
                          int tmemOffset, int pfnOffset, int len, long cmfn,
                          int subop, int cliId, int arg1, int arg2, long buf) {

    public static TmemRequest newPool(long uuid0, long uuid1, int flags) {
        return new TmemRequest(TmemDefs.NEW_POOL, 0, uuid0, uuid1, flags, null, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    public static TmemRequest page(int cmd, int poolId, TmemOid oid, int index, long cmfn) {
        return new TmemRequest(cmd, poolId, 0, 0, 0, oid, index, 0, 0, 0, cmfn, 0, 0, 0, 0, 0);
    }

    public static TmemRequest partial(int cmd, int poolId, TmemOid oid, int index, long cmfn, int tmemOffset, int pfnOffset, int len) {
        return new TmemRequest(cmd, poolId, 0, 0, 0, oid, index, tmemOffset, pfnOffset, len, cmfn, 0, 0, 0, 0, 0);
    }

    public static TmemRequest pool(int cmd, int poolId) {
        return new TmemRequest(cmd, poolId, 0, 0, 0, new TmemOid(0, 0, 0), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    public static TmemRequest control(int subop, int cliId, int arg1, int arg2, long buf) {
        return new TmemRequest(TmemDefs.CONTROL, 0, 0, 0, 0, null, 0, 0, 0, 0, 0, subop, cliId, arg1, arg2, buf);
    }
}
