package org.fallow.guest.hv;

import static org.fallow.abi.xen.TmemConstants.TMEM_POOL_PERSIST;
import static org.fallow.abi.xen.TmemConstants.TMEM_POOL_SHARED;
import static org.fallow.abi.xen.TmemConstants.TMEM_POOL_VERSION_SHIFT;
import static org.fallow.abi.xen.TmemConstants.TMEM_SPEC_VERSION;

/**
 * The guest's tmem hypercalls ({@code __HYPERVISOR_tmem_op}, 38), one method per command Linux's drivers/xen/tmem.c
 * issues. Every method returns Xen's raw value (1 / 0 / pool id / negated Xen errno); callers interpret it as Linux
 * does (only {@code == 1} is success for put/get). Page data moves between tmem and the guest frame {@code gfn}.
 */
public interface TmemOps {

    /** Flags word Linux sends for NEW_POOL (spec version 1 in bits 24..31, 4 KiB pages). */
    static int poolFlags(boolean persistent, boolean shared) {
        return (TMEM_SPEC_VERSION << TMEM_POOL_VERSION_SHIFT) | (persistent ? TMEM_POOL_PERSIST : 0) | (shared ? TMEM_POOL_SHARED : 0);
    }

    long newPool(long uuidLo, long uuidHi, int flags);

    long destroyPool(int poolId);

    long putPage(int poolId, long oid0, long oid1, long oid2, int index, long gfn);

    long getPage(int poolId, long oid0, long oid1, long oid2, int index, long gfn);

    long flushPage(int poolId, long oid0, long oid1, long oid2, int index);

    long flushObject(int poolId, long oid0, long oid1, long oid2);
}
