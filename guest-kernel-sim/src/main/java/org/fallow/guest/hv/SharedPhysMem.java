package org.fallow.guest.hv;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Guest RAM shared with the hypervisor (docs/PROTOCOL.md §3.2-3.3): {@code dom<D>.mem} and the p2m view
 * {@code dom<D>.p2m} mapped MAP_SHARED. Every access to a frame follows the access protocol: atomically add 0x10000
 * to the gfn's p2m entry; if the type byte is ram_rw (0) access the frame and subtract again; otherwise subtract, report
 * a MEM_FAULT through {@link Faulter} (the vCPU waits for FAULT_DONE) and retry. The p2m words are updated with
 * native-order atomics: x86_64 is little-endian, as the protocol requires.
 */
public final class SharedPhysMem implements PhysMem, AutoCloseable {
    /** The EPT-violation path: resolves a non-present gfn. Returns 0 (retry) or a negated Xen errno (fail). */
    @FunctionalInterface
    public interface Faulter {
        long fault(long gfn, boolean write);
    }

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle ENTRY = ValueLayout.JAVA_INT.varHandle();
    static final int P2M_HEADER = 64;
    static final int P2M_MAGIC = 0x4D325046;
    static final int INFLIGHT = 0x10000;
    static final int TYPE_RAM_RW = 0;

    private final Arena arena;
    private final MemorySegment ram;
    private final MemorySegment p2m;
    private final long frames;
    private final Faulter faulter;
    private long faults;

    /** Over already-mapped segments ({@code arena} owns them and is closed by {@link #close}; null = not ours). */
    public SharedPhysMem(MemorySegment ram, MemorySegment p2m, Faulter faulter, Arena arena) {
        this.arena = arena;
        this.ram = ram;
        this.p2m = p2m;
        this.frames = ram.byteSize() / PAGE_SIZE;
        this.faulter = faulter;
        if (p2m.get(INT, 0) != P2M_MAGIC) throw new IllegalArgumentException("not a p2m view (bad magic)");
        // the hypervisor may have grown the files since (max_mem raised); the guest keeps the max_pfn it booted with
        if (p2m.get(LONG, 8) < frames) throw new IllegalArgumentException("p2m has " + p2m.get(LONG, 8) + " frames, memory " + frames);
    }

    /** Maps {@code dom<D>.mem} and {@code dom<D>.p2m} from the hypervisor's run directory. */
    public static SharedPhysMem map(Path runDir, int domid, long nrFrames, Faulter faulter) throws IOException {
        Arena arena = Arena.ofShared();
        MemorySegment ram, p2m;
        try (FileChannel m = FileChannel.open(runDir.resolve("dom" + domid + ".mem"), StandardOpenOption.READ, StandardOpenOption.WRITE);
             FileChannel p = FileChannel.open(runDir.resolve("dom" + domid + ".p2m"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ram = m.map(FileChannel.MapMode.READ_WRITE, 0, nrFrames * PAGE_SIZE, arena);
            p2m = p.map(FileChannel.MapMode.READ_WRITE, 0, P2M_HEADER + 4 * nrFrames, arena);
        }
        return new SharedPhysMem(ram, p2m, faulter, arena);
    }

    @Override public long frames() { return frames; }

    public long faults() { return faults; }

    /** Domain state from the p2m header (0 running, 1 paused, 2 crashed, 3 dying). */
    public int domainState() { return p2m.get(INT, 16); }

    /** The p2m type byte of {@code gfn} as the hypervisor last set it. */
    public int p2mType(long gfn) { return (int) ENTRY.getVolatile(p2m, P2M_HEADER + 4 * gfn) & 0xFF; }

    static final int TYPE_INVALID = 1;
    static final long VGA_HOLE_START = 0xA0, VGA_HOLE_END = 0xC0;

    /** Invalid frames in the VGA hole are holes; other invalid frames are memory the domain does not have yet. */
    @Override public org.fallow.guest.mm.FrameKind bootState(long gfn) {
        if (p2mType(gfn) != TYPE_INVALID) return org.fallow.guest.mm.FrameKind.FREE;
        return gfn >= VGA_HOLE_START && gfn < VGA_HOLE_END ? org.fallow.guest.mm.FrameKind.HOLE : org.fallow.guest.mm.FrameKind.BALLOONED;
    }

    private long enter(long gfn, boolean write) {
        if (gfn < 0 || gfn >= frames) throw new PhysMemFault(gfn, "outside guest memory (" + frames + " frames)");
        long off = P2M_HEADER + 4 * gfn;
        for (;;) {
            int old = (int) ENTRY.getAndAdd(p2m, off, INFLIGHT);
            if ((old & 0xFF) == TYPE_RAM_RW) return off;
            ENTRY.getAndAdd(p2m, off, -INFLIGHT);
            faults++;
            long st = faulter.fault(gfn, write);
            if (st < 0) throw new PhysMemFault(gfn, "fault not resolved: " + st + " (domain state " + domainState() + ")");
        }
    }

    private void leave(long off) { ENTRY.getAndAdd(p2m, off, -INFLIGHT); }

    private static long gfnOf(long gpa) { return gpa >>> PAGE_SHIFT; }

    @Override public long readLong(long gpa) {
        long e = enter(gfnOf(gpa), false);
        try { return ram.get(LONG, gpa); } finally { leave(e); }
    }

    @Override public void writeLong(long gpa, long value) {
        long e = enter(gfnOf(gpa), true);
        try { ram.set(LONG, gpa, value); } finally { leave(e); }
    }

    @Override public int readInt(long gpa) {
        long e = enter(gfnOf(gpa), false);
        try { return ram.get(INT, gpa); } finally { leave(e); }
    }

    @Override public void writeInt(long gpa, int value) {
        long e = enter(gfnOf(gpa), true);
        try { ram.set(INT, gpa, value); } finally { leave(e); }
    }

    @Override public void writeShort(long gpa, short value) {
        long e = enter(gfnOf(gpa), true);
        try { ram.set(SHORT, gpa, value); } finally { leave(e); }
    }

    @Override public void readPage(long gfn, byte[] dst) {
        long e = enter(gfn, false);
        try { MemorySegment.copy(ram, ValueLayout.JAVA_BYTE, PhysMem.gpa(gfn), dst, 0, PAGE_SIZE); } finally { leave(e); }
    }

    @Override public void writePage(long gfn, byte[] src) {
        long e = enter(gfn, true);
        try { MemorySegment.copy(src, 0, ram, ValueLayout.JAVA_BYTE, PhysMem.gpa(gfn), PAGE_SIZE); } finally { leave(e); }
    }

    @Override public void zeroPage(long gfn) {
        long e = enter(gfn, true);
        try { ram.asSlice(PhysMem.gpa(gfn), PAGE_SIZE).fill((byte) 0); } finally { leave(e); }
    }

    @Override public void zero(long gpa, int len) {
        long e = enter(gfnOf(gpa), true);
        try { ram.asSlice(gpa, len).fill((byte) 0); } finally { leave(e); }
    }

    @Override public void close() { if (arena != null) arena.close(); }
}
