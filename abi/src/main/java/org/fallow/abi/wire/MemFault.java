package org.fallow.abi.wire;

/**
 * MEM_FAULT payload (guest → hypervisor, PROTOCOL §3.3): a vCPU touched a non-present gfn. 16 bytes.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                           gfn (u64)                           |  0
 * |                                                               |
 * +---------------------------------------------------------------+
 * |                 access (u32: 1 read, 2 write)                 |  8
 * +---------------------------------------------------------------+
 * |                         vcpu_id (u32)                         | 12
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class MemFault extends Flyweight<MemFault> {
    public static final int ACCESS_READ = 1;
    public static final int ACCESS_WRITE = 2;

    public static final int GFN_OFFSET = 0;
    public static final int ACCESS_OFFSET = 8;
    public static final int VCPU_OFFSET = 12;
    public static final int LENGTH = 16;

    public long gfn() { return i64(GFN_OFFSET); }
    public MemFault gfn(long v) { i64(GFN_OFFSET, v); return this; }

    public int access() { return i32(ACCESS_OFFSET); }
    public MemFault access(int v) { i32(ACCESS_OFFSET, v); return this; }

    public int vcpu() { return i32(VCPU_OFFSET); }
    public MemFault vcpu(int v) { i32(VCPU_OFFSET, v); return this; }

    public static byte[] encode(long gfn, boolean write, int vcpu) {
        byte[] out = new byte[LENGTH];
        new MemFault().wrap(out).gfn(gfn).access(write ? ACCESS_WRITE : ACCESS_READ).vcpu(vcpu);
        return out;
    }
}
