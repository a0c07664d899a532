package org.fallow.guest.hv;

import org.fallow.guest.mem.FaultPort;
import org.fallow.guest.mem.GuestAccessException;
import org.fallow.guest.mem.GuestMemory;
import org.fallow.guest.mm.FrameKind;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;
import static org.fallow.abi.Hypercalls.PAGE_SHIFT;
import static org.fallow.abi.Hypercalls.PAGE_SIZE;

/**
 * {@link PhysMem} over the shared guest-memory accessor {@link GuestMemory} ({@code dom<D>.mem} + {@code dom<D>.p2m},
 * the access protocol of PROTOCOL.md §3.3, MEM_FAULT through a {@link FaultPort}). The simulated kernel runs on one
 * vCPU (0). The guest keeps the max_pfn it booted with even if the hypervisor grows the files later. A failed access
 * (domain crashed or destroyed) becomes {@link PhysMemFault}.
 */
public final class GuestMemoryPhysMem implements PhysMem, AutoCloseable {
    static final int TYPE_INVALID = org.fallow.abi.xen.P2mType.P2M_INVALID;
    static final long VGA_HOLE_START = 0xA0, VGA_HOLE_END = 0xC0;
    private static final int VCPU = 0;

    private final GuestMemory gm;
    private final long frames;

    public GuestMemoryPhysMem(GuestMemory gm) {
        this.gm = gm;
        this.frames = gm.frames();
    }

    /** Maps domain {@code domid}'s memory from the hypervisor's run directory. */
    public static GuestMemoryPhysMem map(Path runDir, int domid, FaultPort port) throws IOException {
        return new GuestMemoryPhysMem(GuestMemory.map(runDir, domid, port));
    }

    public GuestMemory guestMemory() { return gm; }

    @Override public long frames() { return frames; }

    /** Invalid frames in the VGA hole are holes; other invalid frames are memory the domain does not have yet. */
    @Override public FrameKind bootState(long gfn) {
        if (gm.p2mType(gfn) != TYPE_INVALID) return FrameKind.FREE;
        return gfn >= VGA_HOLE_START && gfn < VGA_HOLE_END ? FrameKind.HOLE : FrameKind.BALLOONED;
    }

    private static long gfn(long gpa) { return gpa >>> PAGE_SHIFT; }

    private static long off(long gpa) { return gpa & (PAGE_SIZE - 1); }

    private static PhysMemFault fault(GuestAccessException e) { return new PhysMemFault(e.gfn(), e.getMessage()); }

    private void check(long gfn) {
        if (gfn < 0 || gfn >= frames) throw new PhysMemFault(gfn, "outside guest memory (" + frames + " frames)");
    }

    @Override public long readLong(long gpa) {
        check(gfn(gpa));
        try { return gm.readLong(gfn(gpa), off(gpa), VCPU); } catch (GuestAccessException e) { throw fault(e); }
    }

    @Override public void writeLong(long gpa, long value) {
        check(gfn(gpa));
        try { gm.writeLong(gfn(gpa), off(gpa), value, VCPU); } catch (GuestAccessException e) { throw fault(e); }
    }

    @Override public int readInt(long gpa) {
        check(gfn(gpa));
        try { return gm.access(gfn(gpa), false, VCPU, f -> f.get(U32_UNALIGNED, off(gpa))); } catch (GuestAccessException e) { throw fault(e); }
    }

    @Override public void writeInt(long gpa, int value) {
        check(gfn(gpa));
        try { gm.write(gfn(gpa), VCPU, f -> f.set(U32_UNALIGNED, off(gpa), value)); } catch (GuestAccessException e) { throw fault(e); }
    }

    @Override public void writeShort(long gpa, short value) {
        check(gfn(gpa));
        try { gm.write(gfn(gpa), VCPU, f -> f.set(U16_UNALIGNED, off(gpa), value)); } catch (GuestAccessException e) { throw fault(e); }
    }

    @Override public void readPage(long gfn, byte[] dst) {
        check(gfn);
        try { gm.read(gfn, 0, dst, VCPU); } catch (GuestAccessException e) { throw fault(e); }
    }

    @Override public void writePage(long gfn, byte[] src) {
        check(gfn);
        try { gm.write(gfn, 0, src, VCPU); } catch (GuestAccessException e) { throw fault(e); }
    }

    @Override public void zeroPage(long gfn) {
        check(gfn);
        try { gm.zero(gfn, VCPU); } catch (GuestAccessException e) { throw fault(e); }
    }

    /** Thread-safe: one thread per vCPU (the boot scrubber). */
    @Override public void zeroPage(long gfn, int vcpu) {
        check(gfn);
        try { gm.zero(gfn, vcpu); } catch (GuestAccessException e) { throw fault(e); }
    }

    @Override public void zero(long gpa, int len) {
        check(gfn(gpa));
        try {
            gm.write(gfn(gpa), VCPU, (MemorySegment f) -> f.asSlice(off(gpa), len).fill((byte) 0));
        } catch (GuestAccessException e) { throw fault(e); }
    }

    @Override public long faults() { return gm.faults(); }

    @Override public void close() { gm.close(); }
}
