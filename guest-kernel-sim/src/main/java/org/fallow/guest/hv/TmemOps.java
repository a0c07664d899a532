package org.fallow.guest.hv;

/**
 * The guest's tmem hypercalls ({@code __HYPERVISOR_tmem_op}, 38), one method per command Linux's drivers/xen/tmem.c
 * issues. Every method returns Xen's raw value (1 / 0 / pool id / negated Xen errno); callers interpret it as Linux
 * does (only {@code == 1} is success for put/get). Page data moves between tmem and the guest frame {@code gfn}.
 */
public interface TmemOps {
    int CMD_NEW_POOL = 1, CMD_DESTROY_POOL = 2, CMD_PUT_PAGE = 4, CMD_GET_PAGE = 5, CMD_FLUSH_PAGE = 6, CMD_FLUSH_OBJECT = 7;
    int POOL_PERSIST = 1, POOL_SHARED = 2;
    int SPEC_VERSION = 1, VERSION_SHIFT = 24;

    /** Flags word Linux sends for NEW_POOL (spec version 1 in bits 24..31, 4 KiB pages). */
    static int poolFlags(boolean persistent, boolean shared) {
        return (SPEC_VERSION << VERSION_SHIFT) | (persistent ? POOL_PERSIST : 0) | (shared ? POOL_SHARED : 0);
    }

    long newPool(long uuidLo, long uuidHi, int flags);

    long destroyPool(int poolId);

    long putPage(int poolId, long oid0, long oid1, long oid2, int index, long gfn);

    long getPage(int poolId, long oid0, long oid1, long oid2, int index, long gfn);

    long flushPage(int poolId, long oid0, long oid1, long oid2, int index);

    long flushObject(int poolId, long oid0, long oid1, long oid2);
}
