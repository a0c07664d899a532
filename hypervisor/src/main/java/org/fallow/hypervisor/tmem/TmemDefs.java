package org.fallow.hypervisor.tmem;

/**
 * tmem constants the engine needs (tmem.h, sysctl.h and tmem_xen.h of RELEASE-4.12.0; the 2009 values are the same
 * numbers except where named *_2009). The abi module's {@code TmemConstants} holds the full public set; these are
 * the engine's own copy so that the engine depends on nothing but the core contracts.
 */
public final class TmemDefs {
    private TmemDefs() {}

    public static final int PAGE_SIZE = 4096;
    public static final int CLI_ID_NULL = 0xFFFF;
    public static final int MAX_POOLS_PER_DOMAIN = 16;
    public static final int MAX_GLOBAL_SHARED_POOLS = 16;
    public static final int SPEC_VERSION = 1;
    public static final int SPEC_VERSION_2009 = 0;

    // tmem_op cmds
    public static final int CONTROL = 0, NEW_POOL = 1, DESTROY_POOL = 2, NEW_PAGE = 3, PUT_PAGE = 4, GET_PAGE = 5,
            FLUSH_PAGE = 6, FLUSH_OBJECT = 7, READ = 8, WRITE = 9, XCHG = 10, AUTH = 101, RESTORE_NEW = 102;

    // NEW_POOL flags
    public static final int POOL_PERSIST = 1, POOL_SHARED = 2, POOL_PRECOMPRESSED = 4;
    public static final int POOL_PAGESIZE_SHIFT = 4, POOL_PAGESIZE_MASK = 0xF;
    public static final int POOL_VERSION_SHIFT = 24, POOL_VERSION_MASK = 0xFF;
    public static final int POOL_RESERVED_BITS = 0x00FFFF00;

    // XEN_SYSCTL_TMEM_OP_* (4.12)
    public static final int OP_THAW = 0, OP_FREEZE = 1, OP_FLUSH = 2, OP_DESTROY = 3, OP_LIST = 4,
            OP_GET_CLIENT_INFO = 5, OP_SET_CLIENT_INFO = 6, OP_GET_POOLS = 7, OP_QUERY_FREEABLE_MB = 8,
            OP_SET_POOLS = 9, OP_SAVE_BEGIN = 10, OP_SET_AUTH = 11, OP_SAVE_GET_NEXT_PAGE = 19,
            OP_SAVE_GET_NEXT_INV = 20, OP_SAVE_END = 21, OP_RESTORE_BEGIN = 30, OP_RESTORE_PUT_PAGE = 32,
            OP_RESTORE_FLUSH_PAGE = 33;

    // TMEMC_* (2009 TMEM_CONTROL subops; 8 = QUERY_FREEABLE_MB as of 81d70f1a53)
    public static final int TMEMC_THAW = 0, TMEMC_FREEZE = 1, TMEMC_FLUSH = 2, TMEMC_DESTROY = 3, TMEMC_LIST = 4,
            TMEMC_SET_WEIGHT = 5, TMEMC_SET_CAP = 6, TMEMC_SET_COMPRESS = 7, TMEMC_QUERY_FREEABLE_MB = 8;

    // xen_tmem_client.flags bits (bitfield order: frozen bit 0, compress bit 1, migrating bit 2)
    public static final int CLIENT_FLAG_FROZEN = 1, CLIENT_FLAG_COMPRESS = 2, CLIENT_FLAG_MIGRATING = 4;
    // xen_tmem_pool_info.flags: auth bit 2
    public static final int POOL_INFO_AUTH = 4;

    /** A uuid slot that holds nothing (both halves -1). */
    public static final long UUID_NONE = -1L;
}
