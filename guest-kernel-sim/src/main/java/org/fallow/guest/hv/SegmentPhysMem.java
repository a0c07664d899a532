package org.fallow.guest.hv;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;
import static org.fallow.abi.Hypercalls.PAGE_SIZE;

/**
 * Guest RAM as one plain {@link MemorySegment} with every frame always present: the guest-side view used where no
 * hypervisor mediates access (pure guest-logic unit tests, or a mapping with no PoD/paging).
 */
public final class SegmentPhysMem implements PhysMem {

    private final MemorySegment ram;

    public SegmentPhysMem(MemorySegment ram) {
        if (ram.byteSize() % PAGE_SIZE != 0) throw new IllegalArgumentException("RAM size must be whole frames");
        this.ram = ram;
    }

    /** Fresh zeroed RAM of {@code frames} frames in {@code arena}. */
    public static SegmentPhysMem allocate(Arena arena, long frames) {
        return new SegmentPhysMem(arena.allocate(frames * PAGE_SIZE, PAGE_SIZE));
    }

    public MemorySegment segment() { return ram; }

    @Override public long frames() { return ram.byteSize() / PAGE_SIZE; }
    @Override public long readLong(long gpa) { return ram.get(U64_UNALIGNED, gpa); }
    @Override public void writeLong(long gpa, long value) { ram.set(U64_UNALIGNED, gpa, value); }
    @Override public int readInt(long gpa) { return ram.get(U32_UNALIGNED, gpa); }
    @Override public void writeInt(long gpa, int value) { ram.set(U32_UNALIGNED, gpa, value); }
    @Override public void writeShort(long gpa, short value) { ram.set(U16_UNALIGNED, gpa, value); }

    @Override public void readPage(long gfn, byte[] dst) {
        MemorySegment.copy(ram, ValueLayout.JAVA_BYTE, PhysMem.gpa(gfn), dst, 0, PAGE_SIZE);
    }

    @Override public void writePage(long gfn, byte[] src) {
        MemorySegment.copy(src, 0, ram, ValueLayout.JAVA_BYTE, PhysMem.gpa(gfn), PAGE_SIZE);
    }

    @Override public void zeroPage(long gfn) { ram.asSlice(PhysMem.gpa(gfn), PAGE_SIZE).fill((byte) 0); }

    @Override public void zero(long gpa, int len) { ram.asSlice(gpa, len).fill((byte) 0); }
}
