package org.fallow.abi.wire;

/**
 * HYPERCALL payload: {@code struct privcmd_hypercall { __u64 op; __u64 arg[5]; }} (linux/privcmd.h), 48 bytes.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                            op (u64)                           |  0
 * +---------------------------------------------------------------+
 * |                          arg[0] (u64)                         |  8
 * +---------------------------------------------------------------+
 * |                          arg[1] (u64)                         | 16
 * +---------------------------------------------------------------+
 * |                          arg[2] (u64)                         | 24
 * +---------------------------------------------------------------+
 * |                          arg[3] (u64)                         | 32
 * +---------------------------------------------------------------+
 * |                          arg[4] (u64)                         | 40
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class HypercallFrame extends Flyweight<HypercallFrame> {
    public static final int OP_OFFSET = 0;
    public static final int ARGS_OFFSET = 8;
    public static final int NR_ARGS = 5;
    public static final int LENGTH = 48;

    public long op() { return i64(OP_OFFSET); }
    public HypercallFrame op(long v) { i64(OP_OFFSET, v); return this; }

    public long arg(int i) { return i64(argOffset(i)); }
    public HypercallFrame arg(int i, long v) { i64(argOffset(i), v); return this; }

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
