package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import java.util.Objects;

/**
 * {@code privcmd_hypercall_t} (xen/sys/privcmd.h): the body of the privcmd ioctl, hypercall number plus five args.
 * <pre>
 * privcmd_hypercall (48 bytes)
 * offset size  member  type
 *      0    8  op      le64
 *      8   40  arg     le64[5]
 * </pre>
 */
public final class PrivcmdHypercall extends Flyweight<PrivcmdHypercall> {
    public static final int NR_ARGS = 5;
    public static final StructLayout LAYOUT = struct("privcmd_hypercall",
            u64("op"),
            array("arg", NR_ARGS, U64));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int OP_OFFSET = offsetOf(LAYOUT, "op");
    public static final int ARG_OFFSET = offsetOf(LAYOUT, "arg");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long op() { return getU64(OP_OFFSET); }
    public PrivcmdHypercall op(long v) { putU64(OP_OFFSET, v); return this; }
    public long arg(int i) { return getU64(ARG_OFFSET + 8L * Objects.checkIndex(i, NR_ARGS)); }
    public PrivcmdHypercall arg(int i, long v) { putU64(ARG_OFFSET + 8L * Objects.checkIndex(i, NR_ARGS), v); return this; }
}
