package org.fallow.abi.xen;

/** tmem.h / sysctl.h constants: commands, pool flags, 2009 TMEMC_* and 4.12 XEN_SYSCTL_TMEM_OP_* subops. */
public final class TmemConstants {
    private TmemConstants() {}

    // tmem_op cmd (same numbers in 2009 and 4.12)
    public static final int TMEM_CONTROL = 0, TMEM_NEW_POOL = 1, TMEM_DESTROY_POOL = 2, TMEM_NEW_PAGE = 3,
            TMEM_PUT_PAGE = 4, TMEM_GET_PAGE = 5, TMEM_FLUSH_PAGE = 6, TMEM_FLUSH_OBJECT = 7,
            TMEM_READ = 8, TMEM_WRITE = 9, TMEM_XCHG = 10, TMEM_AUTH = 101, TMEM_RESTORE_NEW = 102;

    /** NEW_POOL spec version field: 1 at 4.12 (ABI v1), 0 in 2009. */
    public static final int TMEM_SPEC_VERSION = 1;
    public static final int TMEM_SPEC_VERSION_2009 = 0;

    // u.creat.flags
    public static final int TMEM_POOL_PERSIST = 1, TMEM_POOL_SHARED = 2, TMEM_POOL_PRECOMPRESSED = 4;
    public static final int TMEM_POOL_PAGESIZE_SHIFT = 4, TMEM_POOL_PAGESIZE_MASK = 0xf;
    public static final int TMEM_POOL_VERSION_SHIFT = 24, TMEM_POOL_VERSION_MASK = 0xff;
    public static final int TMEM_POOL_RESERVED_BITS = 0x00ffff00;

    /** Client flags for save/restore (note: the reverse of xen_tmem_client.flags bit order). */
    public static final int TMEM_CLIENT_COMPRESS = 1, TMEM_CLIENT_FROZEN = 2;

    public static final int MAX_POOLS_PER_DOMAIN = 16, MAX_GLOBAL_SHARED_POOLS = 16;
    /** (domid_t)-1: "all clients" / "none". Also XEN_SYSCTL_TMEM_OP_ALL_CLIENTS. */
    public static final int CLI_ID_NULL = 0xFFFF;
    public static final int TMEM_CLI_ID_NULL = CLI_ID_NULL;
    public static final int XEN_SYSCTL_TMEM_OP_ALL_CLIENTS = CLI_ID_NULL;

    // 2009 TMEMC_* subops of TMEM_CONTROL (734a7f6677 + 81d70f1a53 numbering)
    public static final int TMEMC_THAW = 0, TMEMC_FREEZE = 1, TMEMC_FLUSH = 2, TMEMC_DESTROY = 3, TMEMC_LIST = 4,
            TMEMC_SET_WEIGHT = 5, TMEMC_SET_CAP = 6, TMEMC_SET_COMPRESS = 7, TMEMC_QUERY_FREEABLE_MB = 8,
            TMEMC_SAVE_BEGIN = 10, TMEMC_SAVE_GET_VERSION = 11, TMEMC_SAVE_GET_MAXPOOLS = 12,
            TMEMC_SAVE_GET_CLIENT_WEIGHT = 13, TMEMC_SAVE_GET_CLIENT_CAP = 14, TMEMC_SAVE_GET_CLIENT_FLAGS = 15,
            TMEMC_SAVE_GET_POOL_FLAGS = 16, TMEMC_SAVE_GET_POOL_NPAGES = 17, TMEMC_SAVE_GET_POOL_UUID = 18,
            TMEMC_SAVE_GET_NEXT_PAGE = 19, TMEMC_SAVE_GET_NEXT_INV = 20, TMEMC_SAVE_END = 21,
            TMEMC_RESTORE_BEGIN = 30, TMEMC_RESTORE_PUT_PAGE = 32, TMEMC_RESTORE_FLUSH_PAGE = 33;
    /** Only at 734a7f6677 (replaced 4 days later by QUERY_FREEABLE_MB 8). */
    public static final int TMEMC_SHARED_POOL_AUTH_734A7F6677 = 8, TMEMC_SHARED_POOL_DEAUTH_734A7F6677 = 9;

    // 4.12 XEN_SYSCTL_TMEM_OP_* subops of XEN_SYSCTL_tmem_op
    public static final int XEN_SYSCTL_TMEM_OP_THAW = 0, XEN_SYSCTL_TMEM_OP_FREEZE = 1, XEN_SYSCTL_TMEM_OP_FLUSH = 2,
            XEN_SYSCTL_TMEM_OP_DESTROY = 3, XEN_SYSCTL_TMEM_OP_LIST = 4, XEN_SYSCTL_TMEM_OP_GET_CLIENT_INFO = 5,
            XEN_SYSCTL_TMEM_OP_SET_CLIENT_INFO = 6, XEN_SYSCTL_TMEM_OP_GET_POOLS = 7,
            XEN_SYSCTL_TMEM_OP_QUERY_FREEABLE_MB = 8, XEN_SYSCTL_TMEM_OP_SET_POOLS = 9,
            XEN_SYSCTL_TMEM_OP_SAVE_BEGIN = 10, XEN_SYSCTL_TMEM_OP_SET_AUTH = 11,
            XEN_SYSCTL_TMEM_OP_SAVE_GET_NEXT_PAGE = 19, XEN_SYSCTL_TMEM_OP_SAVE_GET_NEXT_INV = 20,
            XEN_SYSCTL_TMEM_OP_SAVE_END = 21, XEN_SYSCTL_TMEM_OP_RESTORE_BEGIN = 30,
            XEN_SYSCTL_TMEM_OP_RESTORE_PUT_PAGE = 32, XEN_SYSCTL_TMEM_OP_RESTORE_FLUSH_PAGE = 33;

    /** {@code u.creat.flags} for a NEW_POOL with the given spec version (pagebits 0 = 4 KiB pages). */
    public static int poolFlags(boolean persistent, boolean shared, int specVersion) {
        return (persistent ? TMEM_POOL_PERSIST : 0) | (shared ? TMEM_POOL_SHARED : 0)
                | (specVersion & TMEM_POOL_VERSION_MASK) << TMEM_POOL_VERSION_SHIFT;
    }

    public static String cmdName(long cmd) {
        return switch ((int) cmd) {
            case TMEM_CONTROL -> "CONTROL"; case TMEM_NEW_POOL -> "NEW_POOL"; case TMEM_DESTROY_POOL -> "DESTROY_POOL";
            case TMEM_NEW_PAGE -> "NEW_PAGE"; case TMEM_PUT_PAGE -> "PUT_PAGE"; case TMEM_GET_PAGE -> "GET_PAGE";
            case TMEM_FLUSH_PAGE -> "FLUSH_PAGE"; case TMEM_FLUSH_OBJECT -> "FLUSH_OBJECT"; case TMEM_READ -> "READ";
            case TMEM_WRITE -> "WRITE"; case TMEM_XCHG -> "XCHG"; case TMEM_AUTH -> "AUTH";
            case TMEM_RESTORE_NEW -> "RESTORE_NEW";
            default -> "tmem_cmd#" + cmd;
        };
    }
}
