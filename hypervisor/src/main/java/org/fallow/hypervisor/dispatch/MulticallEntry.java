package org.fallow.hypervisor.dispatch;

/**
 * Layout of {@code struct multicall_entry} (xen.h, x86_64), 56 bytes, read and written in place in the caller's memory.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                     op (xen_ulong_t)                          |  0
 * +---------------------------------------------------------------+
 * |                     result (xen_ulong_t, OUT)                 |  8
 * +---------------------------------------------------------------+
 * |                     args[6] (xen_ulong_t)                     | 16 .. 56
 * +---------------------------------------------------------------+
 * </pre>
 */
final class MulticallEntry {
    private MulticallEntry() {}

    static final int OP_OFFSET = 0;
    static final int RESULT_OFFSET = 8;
    static final int ARGS_OFFSET = 16;
    static final int NR_ARGS = 6;
    static final int SIZE = 56;
}
