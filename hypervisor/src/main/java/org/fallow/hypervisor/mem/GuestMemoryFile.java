package org.fallow.hypervisor.mem;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

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
    private final FileChannel channel;
    private Arena arena;
    private MemorySegment mem = MemorySegment.NULL;
    private long nrFrames;
    private boolean punchWorks = true;

    private GuestMemoryFile(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    /** Creates (truncating any stale file) and maps a file of {@code nrFrames} frames. */
    public static GuestMemoryFile create(Path path, long nrFrames) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ, StandardOpenOption.WRITE);
        GuestMemoryFile f = new GuestMemoryFile(path, ch);
        f.grow(nrFrames);
        return f;
    }

    public Path path() { return path; }

    public long nrFrames() { return nrFrames; }

    /** Extends the file to {@code frames} frames (new frames are holes) and remaps; smaller values are ignored. */
    public void grow(long frames) throws IOException {
        if (frames <= nrFrames) return;
        Arena next = Arena.ofShared();
        MemorySegment seg;
        try {
            seg = channel.map(FileChannel.MapMode.READ_WRITE, 0, frames * PAGE, next);
        } catch (IOException | RuntimeException e) {
            next.close();
            throw e;
        }
        Arena old = arena;
        arena = next;
        mem = seg;
        nrFrames = frames;
        if (old != null) old.close();
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
        if (arena != null) arena.close();
        arena = null;
        mem = MemorySegment.NULL;
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing to do: the mapping is gone
        }
    }

    /** Unmaps and removes the file. */
    public void closeAndDelete() {
        close();
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
