package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import java.util.Objects;

/**
 * {@code struct multicall_entry} (xen.h): one call of a {@code __HYPERVISOR_multicall} batch. 64 bytes on x86_64
 * ({@code xen_ulong_t op, result; xen_ulong_t args[6]}).
 * <pre>
 * multicall_entry (64 bytes)
 * offset size  member  type
 *      0    8  op      le64
 *      8    8  result  le64
 *     16   48  args    le64[6]
 * </pre>
 * {@code result} is written back by the hypervisor (the signed return of that call).
 */
public final class MulticallEntry extends Flyweight<MulticallEntry> {
    public static final int NR_ARGS = 6;
    public static final StructLayout LAYOUT = struct("multicall_entry",
            u64("op"),
            u64("result"),
            array("args", NR_ARGS, U64));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int OP_OFFSET = offsetOf(LAYOUT, "op");
    public static final int RESULT_OFFSET = offsetOf(LAYOUT, "result");
    public static final int ARGS_OFFSET = offsetOf(LAYOUT, "args");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long op() { return getU64(OP_OFFSET); }
    public MulticallEntry op(long v) { putU64(OP_OFFSET, v); return this; }
    public long result() { return getU64(RESULT_OFFSET); }
    public MulticallEntry result(long v) { putU64(RESULT_OFFSET, v); return this; }
    public long args(int i) { return getU64(ARGS_OFFSET + 8L * Objects.checkIndex(i, NR_ARGS)); }
    public MulticallEntry args(int i, long v) { putU64(ARGS_OFFSET + 8L * Objects.checkIndex(i, NR_ARGS), v); return this; }
}
