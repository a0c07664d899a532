package org.fallow.abi.wire;

import java.lang.foreign.StructLayout;
import org.fallow.abi.xen.Flyweight;
import org.fallow.abi.xen.PrivcmdHypercall;

/**
 * HYPERCALL payload: {@code struct privcmd_hypercall { __u64 op; __u64 arg[5]; }} (linux/privcmd.h), 48 bytes, the
 * layout of {@link PrivcmdHypercall} (declared and C-probed there; this class adds the frame helpers).
 * <pre>
 * privcmd_hypercall (48 bytes)
 * offset size  member  type
 *      0    8  op      le64
 *      8   40  arg     le64[5]
 * </pre>
 */
public final class HypercallFrame extends Flyweight<HypercallFrame> {
    public static final StructLayout LAYOUT = PrivcmdHypercall.LAYOUT;
    public static final int OP_OFFSET = PrivcmdHypercall.OP_OFFSET;
    public static final int ARGS_OFFSET = PrivcmdHypercall.ARG_OFFSET;
    public static final int NR_ARGS = PrivcmdHypercall.NR_ARGS;
    public static final int LENGTH = PrivcmdHypercall.SIZE;

    @Override public int size() { return LENGTH; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long op() { return getU64(OP_OFFSET); }
    public HypercallFrame op(long v) { putU64(OP_OFFSET, v); return this; }

    public long arg(int i) { return getU64(argOffset(i)); }
    public HypercallFrame arg(int i, long v) { putU64(argOffset(i), v); return this; }

    public long[] args() {
        long[] a = new long[NR_ARGS];
        for (int i = 0; i < NR_ARGS; i++) a[i] = arg(i);
        return a;
    }

    public static int argOffset(int i) {
        if (i < 0 || i >= NR_ARGS) throw new IndexOutOfBoundsException("privcmd_hypercall has 5 args: " + i);
        return ARGS_OFFSET + 8 * i;
    }

    /** A complete HYPERCALL payload; missing args are 0. */
    public static byte[] encode(long op, long... args) {
        if (args.length > NR_ARGS) throw new IllegalArgumentException("at most 5 hypercall args");
        byte[] out = new byte[LENGTH];
        HypercallFrame f = new HypercallFrame().wrap(out).op(op);
        for (int i = 0; i < args.length; i++) f.arg(i, args[i]);
        return out;
    }
}
