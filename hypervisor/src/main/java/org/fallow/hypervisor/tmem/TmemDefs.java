package org.fallow.hypervisor.tmem;

import org.fallow.abi.Hypercalls;
import org.fallow.abi.xen.TmemConstants;
import org.fallow.abi.xen.XenTmemClient;
import org.fallow.abi.xen.XenTmemPoolInfo;

/**
 * The engine's short names for the tmem constants (tmem.h, sysctl.h of RELEASE-4.12.0; the 2009 values are the same
 * numbers except where named *_2009). Every value is abi's ({@link TmemConstants}, {@link XenTmemClient},
 * {@link XenTmemPoolInfo}): these are names, not a second declaration of the numbers.
 */
public final class TmemDefs {
    private TmemDefs() {}

    public static final int PAGE_SIZE = Hypercalls.PAGE_SIZE;
    public static final int CLI_ID_NULL = TmemConstants.CLI_ID_NULL;
    public static final int MAX_POOLS_PER_DOMAIN = TmemConstants.MAX_POOLS_PER_DOMAIN;
    public static final int MAX_GLOBAL_SHARED_POOLS = TmemConstants.MAX_GLOBAL_SHARED_POOLS;
    public static final int SPEC_VERSION = TmemConstants.TMEM_SPEC_VERSION;
    public static final int SPEC_VERSION_2009 = TmemConstants.TMEM_SPEC_VERSION_2009;

    // tmem_op cmds
    public static final int CONTROL = TmemConstants.TMEM_CONTROL, NEW_POOL = TmemConstants.TMEM_NEW_POOL,
            DESTROY_POOL = TmemConstants.TMEM_DESTROY_POOL, NEW_PAGE = TmemConstants.TMEM_NEW_PAGE,
            PUT_PAGE = TmemConstants.TMEM_PUT_PAGE, GET_PAGE = TmemConstants.TMEM_GET_PAGE,
            FLUSH_PAGE = TmemConstants.TMEM_FLUSH_PAGE, FLUSH_OBJECT = TmemConstants.TMEM_FLUSH_OBJECT,
            READ = TmemConstants.TMEM_READ, WRITE = TmemConstants.TMEM_WRITE, XCHG = TmemConstants.TMEM_XCHG,
            AUTH = TmemConstants.TMEM_AUTH, RESTORE_NEW = TmemConstants.TMEM_RESTORE_NEW;

    // NEW_POOL flags
    public static final int POOL_PERSIST = TmemConstants.TMEM_POOL_PERSIST, POOL_SHARED = TmemConstants.TMEM_POOL_SHARED,
            POOL_PRECOMPRESSED = TmemConstants.TMEM_POOL_PRECOMPRESSED;
    public static final int POOL_PAGESIZE_SHIFT = TmemConstants.TMEM_POOL_PAGESIZE_SHIFT,
            POOL_PAGESIZE_MASK = TmemConstants.TMEM_POOL_PAGESIZE_MASK;
    public static final int POOL_VERSION_SHIFT = TmemConstants.TMEM_POOL_VERSION_SHIFT,
            POOL_VERSION_MASK = TmemConstants.TMEM_POOL_VERSION_MASK;
    public static final int POOL_RESERVED_BITS = TmemConstants.TMEM_POOL_RESERVED_BITS;

    // XEN_SYSCTL_TMEM_OP_* (4.12)
    public static final int OP_THAW = TmemConstants.XEN_SYSCTL_TMEM_OP_THAW, OP_FREEZE = TmemConstants.XEN_SYSCTL_TMEM_OP_FREEZE,
            OP_FLUSH = TmemConstants.XEN_SYSCTL_TMEM_OP_FLUSH, OP_DESTROY = TmemConstants.XEN_SYSCTL_TMEM_OP_DESTROY,
            OP_LIST = TmemConstants.XEN_SYSCTL_TMEM_OP_LIST,
            OP_GET_CLIENT_INFO = TmemConstants.XEN_SYSCTL_TMEM_OP_GET_CLIENT_INFO,
            OP_SET_CLIENT_INFO = TmemConstants.XEN_SYSCTL_TMEM_OP_SET_CLIENT_INFO,
            OP_GET_POOLS = TmemConstants.XEN_SYSCTL_TMEM_OP_GET_POOLS,
            OP_QUERY_FREEABLE_MB = TmemConstants.XEN_SYSCTL_TMEM_OP_QUERY_FREEABLE_MB,
            OP_SET_POOLS = TmemConstants.XEN_SYSCTL_TMEM_OP_SET_POOLS, OP_SAVE_BEGIN = TmemConstants.XEN_SYSCTL_TMEM_OP_SAVE_BEGIN,
            OP_SET_AUTH = TmemConstants.XEN_SYSCTL_TMEM_OP_SET_AUTH,
            OP_SAVE_GET_NEXT_PAGE = TmemConstants.XEN_SYSCTL_TMEM_OP_SAVE_GET_NEXT_PAGE,
            OP_SAVE_GET_NEXT_INV = TmemConstants.XEN_SYSCTL_TMEM_OP_SAVE_GET_NEXT_INV,
            OP_SAVE_END = TmemConstants.XEN_SYSCTL_TMEM_OP_SAVE_END,
            OP_RESTORE_BEGIN = TmemConstants.XEN_SYSCTL_TMEM_OP_RESTORE_BEGIN,
            OP_RESTORE_PUT_PAGE = TmemConstants.XEN_SYSCTL_TMEM_OP_RESTORE_PUT_PAGE,
            OP_RESTORE_FLUSH_PAGE = TmemConstants.XEN_SYSCTL_TMEM_OP_RESTORE_FLUSH_PAGE;

    // TMEMC_* (2009 TMEM_CONTROL subops; 8 = QUERY_FREEABLE_MB as of 81d70f1a53)
    public static final int TMEMC_THAW = TmemConstants.TMEMC_THAW, TMEMC_FREEZE = TmemConstants.TMEMC_FREEZE,
            TMEMC_FLUSH = TmemConstants.TMEMC_FLUSH, TMEMC_DESTROY = TmemConstants.TMEMC_DESTROY,
            TMEMC_LIST = TmemConstants.TMEMC_LIST, TMEMC_SET_WEIGHT = TmemConstants.TMEMC_SET_WEIGHT,
            TMEMC_SET_CAP = TmemConstants.TMEMC_SET_CAP, TMEMC_SET_COMPRESS = TmemConstants.TMEMC_SET_COMPRESS,
            TMEMC_QUERY_FREEABLE_MB = TmemConstants.TMEMC_QUERY_FREEABLE_MB;

    // xen_tmem_client.flags bits (bitfield order: frozen bit 0, compress bit 1, migrating bit 2)
    public static final int CLIENT_FLAG_FROZEN = XenTmemClient.FLAG_FROZEN, CLIENT_FLAG_COMPRESS = XenTmemClient.FLAG_COMPRESS,
            CLIENT_FLAG_MIGRATING = XenTmemClient.FLAG_MIGRATING;
    // xen_tmem_pool_info.flags: auth bit 2
    public static final int POOL_INFO_AUTH = XenTmemPoolInfo.FLAG_AUTH;

    /** A uuid slot that holds nothing (both halves -1). */
    public static final long UUID_NONE = -1L;
}
