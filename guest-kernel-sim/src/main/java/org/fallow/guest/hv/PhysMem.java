package org.fallow.guest.hv;

import java.lang.foreign.MemorySegment;

import static org.fallow.abi.Hypercalls.PAGE_SHIFT;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;

/**
 * The guest's view of its own physical memory ("RAM"), byte-addressed by guest-physical address (gfn * 4096 +
 * offset). Little-endian, as on x86. Implementations go through the hypervisor's access protocol (a non-present frame
 * faults and is populated or paged in); a frame that can never be accessed throws {@link PhysMemFault}.
 */
public interface PhysMem {

    /** Number of guest frames (max_pfn). */
    long frames();

    long readLong(long gpa);

    void writeLong(long gpa, long value);

    int readInt(long gpa);

    void writeInt(long gpa, int value);

    void writeShort(long gpa, short value);

    /** Copies a whole frame out (4096 bytes into {@code dst}). */
    void readPage(long gfn, byte[] dst);

    /** Overwrites a whole frame with {@code src} (4096 bytes). */
    void writePage(long gfn, byte[] src);

    /** Accesses that faulted to the hypervisor so far (MEM_FAULT round trips: populate-on-demand, page-in); 0 if unknown. */
    default long faults() { return 0; }

    /** Zeroes a whole frame (a scrub). */
    void zeroPage(long gfn);

    /** Zeroes a whole frame from vCPU {@code vcpu} (thread-safe implementations allow one thread per vCPU). */
    default void zeroPage(long gfn, int vcpu) { zeroPage(gfn); }

    /** Zeroes {@code len} bytes at {@code gpa} (within one frame). */
    void zero(long gpa, int len);

    /**
     * Writes the bytes of {@code struct} (an abi flyweight's slice, an even number of bytes within one frame) at
     * {@code gpa}, as the kernel copies a hypercall argument into its buffer.
     */
    default void write(long gpa, MemorySegment struct) {
        long n = struct.byteSize(), i = 0;
        if ((n & 1) != 0) throw new IllegalArgumentException("odd struct size " + n);
        for (; i + 8 <= n; i += 8) writeLong(gpa + i, struct.get(U64_UNALIGNED, i));
        for (; i + 4 <= n; i += 4) writeInt(gpa + i, struct.get(U32_UNALIGNED, i));
        for (; i + 2 <= n; i += 2) writeShort(gpa + i, struct.get(U16_UNALIGNED, i));
    }

    /**
     * What the firmware memory map says about {@code gfn} at boot: RAM (possibly populate-on-demand), a hole (the VGA
     * hole of an HVM guest), or RAM the domain does not have yet (to be ballooned in). Default: all RAM.
     */
    default org.fallow.guest.mm.FrameKind bootState(long gfn) { return org.fallow.guest.mm.FrameKind.FREE; }

    static long gpa(long gfn) { return gfn << PAGE_SHIFT; }
}
