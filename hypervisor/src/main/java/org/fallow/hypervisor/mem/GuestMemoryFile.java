package org.fallow.hypervisor.mem;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * {@code dom<D>.mem}: a domain's guest-physical memory as a sparse file mapped shared (docs/PROTOCOL.md §3.2); gfn
 * {@code g} is at offset {@code g × 4096}. Frames without a page have no storage: {@link #punch} gives a frame's
 * storage back (the frame reads as zeros afterwards). The mapping only grows ({@link #grow}); segments handed out
 * before a grow must not be used after it (hypervisor code uses them for one hypercall only).
 * Not thread-safe: the hypervisor uses it from its dispatch thread.
 */
public final class GuestMemoryFile implements AutoCloseable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(GuestMemoryFile.class);
    public static final int PAGE = 4096;
    /** Xen's zero-check looks at the first 16 unsigned longs before scanning the whole page. */
    public static final int QUICK_CHECK_BYTES = 128;
    private static final MemorySegment ZERO_PAGE = Arena.global().allocate(PAGE, PAGE);

    private final Path path;
    private final GrowableMapping file;
    private MemorySegment mem = MemorySegment.NULL;
    private long nrFrames;
    private boolean punchWorks = true;

    private GuestMemoryFile(GrowableMapping file) {
        this.path = file.path();
        this.file = file;
    }

    /** Creates (truncating any stale file) and maps a file of {@code nrFrames} frames. */
    public static GuestMemoryFile create(Path path, long nrFrames) throws IOException {
        GuestMemoryFile f = new GuestMemoryFile(GrowableMapping.create(path));
        f.grow(nrFrames);
        return f;
    }

    public Path path() { return path; }

    public long nrFrames() { return nrFrames; }

    /** Extends the file to {@code frames} frames (new frames are holes) and remaps; smaller values are ignored. */
    public void grow(long frames) throws IOException {
        if (frames <= nrFrames) return;
        mem = file.grow(frames * PAGE, seg -> {});
        nrFrames = frames;
    }

    public boolean contains(long gfn) { return gfn >= 0 && gfn < nrFrames; }

    /** The whole mapping (nrFrames × 4096 bytes). */
    public MemorySegment segment() { return mem; }

    /** The 4096 bytes of frame {@code gfn}. */
    public MemorySegment frame(long gfn) {
        if (!contains(gfn)) throw new IndexOutOfBoundsException("gfn " + gfn + " outside " + nrFrames + " frames");
        return mem.asSlice(gfn * PAGE, PAGE);
    }

    /** Gives the storage of frames [gfn, gfn+n) back to the host: they read as zeros and use no blocks. */
    public void punch(long gfn, long n) {
        if (n <= 0) return;
        if (!contains(gfn) || !contains(gfn + n - 1)) throw new IndexOutOfBoundsException("punch " + gfn + "+" + n);
        if (!punchWorks) {
            mem.asSlice(gfn * PAGE, n * PAGE).fill((byte) 0);
            return;
        }
        try {
            Libc.punchHole(mem.asSlice(gfn * PAGE, n * PAGE), n * PAGE);
        } catch (IOException e) {
            // The file system cannot punch holes: zero the frames instead (they read as zeros either way; only the
            // storage is not given back).
            punchWorks = false;
            log.warn("{}: cannot punch holes ({}); freed frames are zero-filled instead", path, e.getMessage());
            mem.asSlice(gfn * PAGE, n * PAGE).fill((byte) 0);
        }
    }

    /** Xen's quick check: the first 128 bytes of the frame are zero. */
    public boolean quickZero(long gfn) {
        return mem.asSlice(gfn * PAGE, QUICK_CHECK_BYTES).mismatch(ZERO_PAGE.asSlice(0, QUICK_CHECK_BYTES)) == -1;
    }

    /** The whole frame is zero. */
    public boolean isZero(long gfn) {
        return frame(gfn).mismatch(ZERO_PAGE) == -1;
    }

    /** Allocated storage of the file in bytes (st_blocks × 512). */
    public long allocatedBytes() throws IOException { return Libc.allocatedBlocks(path) * 512; }

    @Override public void close() {
        file.close();
        mem = MemorySegment.NULL;
    }

    /** Unmaps and removes the file. */
    public void closeAndDelete() {
        file.closeAndDelete();
        mem = MemorySegment.NULL;
    }
}
