package org.fallow.abi.wire;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import org.fallow.abi.xen.Flyweight;

/**
 * MEM_FAULT payload (guest → hypervisor, PROTOCOL §3.3; {@code struct fallow_mem_fault}): a vCPU touched a
 * non-present gfn; access 1 read, 2 write.
 * <pre>
 * fallow_mem_fault (16 bytes)
 * offset size  member   type
 *      0    8  gfn      le64
 *      8    4  access   le32
 *     12    4  vcpu_id  le32
 * </pre>
 */
public final class MemFault extends Flyweight<MemFault> {
    public static final int ACCESS_READ = 1;
    public static final int ACCESS_WRITE = 2;

    public static final StructLayout LAYOUT = struct("fallow_mem_fault",
            u64("gfn"),
            u32("access"),
            u32("vcpu_id"));
    public static final int GFN_OFFSET = offsetOf(LAYOUT, "gfn");
    public static final int ACCESS_OFFSET = offsetOf(LAYOUT, "access");
    public static final int VCPU_OFFSET = offsetOf(LAYOUT, "vcpu_id");
    public static final int LENGTH = (int) LAYOUT.byteSize();

    @Override public int size() { return LENGTH; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long gfn() { return getU64(GFN_OFFSET); }
    public MemFault gfn(long v) { putU64(GFN_OFFSET, v); return this; }

    public int access() { return getI32(ACCESS_OFFSET); }
    public MemFault access(int v) { putU32(ACCESS_OFFSET, v); return this; }

    public int vcpu() { return getI32(VCPU_OFFSET); }
    public MemFault vcpu(int v) { putU32(VCPU_OFFSET, v); return this; }

    public static byte[] encode(long gfn, boolean write, int vcpu) {
        byte[] out = new byte[LENGTH];
        new MemFault().wrap(out).gfn(gfn).access(write ? ACCESS_WRITE : ACCESS_READ).vcpu(vcpu);
        return out;
    }
}
