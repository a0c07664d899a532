package org.fallow.hypervisor.dispatch;

/**
 * Layout of {@code struct multicall_entry} (xen.h, x86_64), 64 bytes (checked with gcc against the installed headers), read and written in place in the caller's memory.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                     op (xen_ulong_t)                          |  0
 * +---------------------------------------------------------------+
 * |                     result (xen_ulong_t, OUT)                 |  8
 * +---------------------------------------------------------------+
 * |                     args[6] (xen_ulong_t)                     | 16 .. 64
 * +---------------------------------------------------------------+
 * </pre>
 */
final class MulticallEntry {
    private MulticallEntry() {}

    static final int OP_OFFSET = 0;
    static final int RESULT_OFFSET = 8;
    static final int ARGS_OFFSET = 16;
    static final int NR_ARGS = 6;
    static final int SIZE = 64;
}
