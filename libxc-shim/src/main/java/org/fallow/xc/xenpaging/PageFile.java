package org.fallow.xc.xenpaging;

import org.fallow.abi.fs.SafeFiles;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;

import static org.fallow.abi.xen.XenLayouts.U64;

/**
 * xenpaging's pagefile: slot i is the raw 4096-byte page at offset i × 4096, with {@code slot_to_gfn},
 * {@code gfn_to_slot} and a LIFO free-slot stack (slot choice: pop the stack, else the first slot whose gfn is 0;
 * gfn 0 is never paged out, so 0 means "free"; the scan resumes where the last one stopped, every slot before it being
 * in use or on the stack).
 *
 * <p>Fallow addition (docs/DEVIATIONS.md ## paging): the slot index is also kept in {@code <pagefile>.slots}, a
 * shared mapping of one little-endian u64 gfn per slot, written after the page data and before the evict. The
 * kernel keeps both files when the pager is killed (SIGKILL), so a restarted pager can {@link #recover} the pages
 * it had paged out. Both files are unlinked on a clean exit.
 */
public final class PageFile implements AutoCloseable {
    public static final int PAGE = 4096;

    private final Path path;
    private final Path indexPath;
    private final FileChannel data;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment index;
    private final int slots;
    private final long[] slotToGfn;
    private final int[] gfnToSlot;
    private final ArrayDeque<Integer> freeSlots = new ArrayDeque<>();
    /**
     * Every slot below this is in use or on the free stack, so the scan for "the first slot whose gfn is 0" starts
     * here: paging N pages out of a fresh pagefile costs O(N), not the O(N²) of a scan from slot 0 each time (98303
     * pages took 16-17 s to page down in {@code bench paging}'s in-process bulk rows, 12.6-16.3 s with the resumed scan).
     */
    private int scanFrom;
    private int used;

    private PageFile(Path path, int slots, boolean truncate) throws IOException {
        this.path = path;
        this.indexPath = indexPath(path);
        this.slots = slots;
        // 0600, never through a link; an existing file must be a regular file of ours (docs/SECURITY.md)
        this.data = SafeFiles.openOrCreate(path, truncate);
        try (FileChannel ix = SafeFiles.openOrCreate(indexPath, truncate)) {
            if (ix.size() < (long) slots * 8) ix.write(java.nio.ByteBuffer.allocate(1), (long) slots * 8 - 1);
            this.index = ix.map(FileChannel.MapMode.READ_WRITE, 0, (long) slots * 8, arena);
        }
        this.slotToGfn = new long[slots];
        this.gfnToSlot = new int[slots];
        Arrays.fill(gfnToSlot, -1);
    }

    /** Opens {@code path} for {@code slots} pages the way xenpaging does: O_CREAT|O_TRUNC|O_RDWR, mode 0600 (plus O_NOFOLLOW). */
    public static PageFile create(Path path, int slots) throws IOException { return new PageFile(path, slots, true); }

    /**
     * Opens the pagefile and slot index a killed pager left behind, keeping their contents. {@link #recovered()}
     * lists the (gfn, slot) pairs found; the caller decides which are still paged out and {@link #free}s the rest.
     */
    public static PageFile recover(Path path, int slots) throws IOException {
        PageFile f = new PageFile(path, slots, false);
        for (int s = 0; s < slots; s++) {
            long g = f.index.getAtIndex(U64, s);
            if (g > 0 && g < slots && f.gfnToSlot[(int) g] < 0) {
                f.slotToGfn[s] = g;
                f.gfnToSlot[(int) g] = s;
                f.used++;
            } else if (g != 0) {
                f.index.setAtIndex(U64, s, 0L);
            }
        }
        return f;
    }

    public static Path indexPath(Path pagefile) { return pagefile.resolveSibling(pagefile.getFileName() + ".slots"); }

    /** True when a killed pager's slot index exists next to {@code pagefile}. */
    public static boolean leftBehind(Path pagefile) { return Files.exists(indexPath(pagefile)); }

    /** (gfn, slot) pairs in use, after {@link #recover}. */
    public long[][] recovered() {
        long[][] out = new long[used][];
        int k = 0;
        for (int s = 0; s < slots; s++) if (slotToGfn[s] != 0) out[k++] = new long[] {slotToGfn[s], s};
        return out;
    }

    public int slots() { return slots; }

    public int used() { return used; }

    public long slotToGfn(int slot) { return slotToGfn[slot]; }

    /** The slot holding {@code gfn}, or −1. */
    public int gfnToSlot(long gfn) { return gfn >= 0 && gfn < slots ? gfnToSlot[(int) gfn] : -1; }

    /**
     * Picks a free slot: the free stack first, then the first slot whose slot_to_gfn is 0, as xenpaging's scan does
     * (the scan runs only with the stack empty, so every free slot it meets is off the stack). −1 when full. The slot
     * counts as taken once {@link #write} records it; until then the scan offers it again.
     */
    public int allocateSlot() {
        Integer s = freeSlots.poll();
        if (s != null) return s;
        while (scanFrom < slots && slotToGfn[scanFrom] != 0) scanFrom++;
        return scanFrom < slots ? scanFrom : -1;
    }

    /**
     * Writes {@code page} to {@code slot} and records slot ↔ gfn: data first ({@link #writeData}), then the index entry,
     * so a pager killed in between leaves a slot that recovery ignores (crash point {@code pager.page-written}).
     */
    public void write(int slot, long gfn, MemorySegment page) throws IOException {
        writeData(slot, page);
        recordSlot(slot, gfn);
    }

    /** The page's bytes into its slot of the data file. */
    void writeData(int slot, MemorySegment page) throws IOException {
        var buf = page.asSlice(0, PAGE).asByteBuffer();
        long pos = (long) slot * PAGE;
        while (buf.hasRemaining()) pos += data.write(buf, pos);
    }

    /** The slot ↔ gfn entry, in memory and in the mapped slot index. */
    private void recordSlot(int slot, long gfn) {
        if (slotToGfn[slot] == 0) used++;
        slotToGfn[slot] = gfn;
        gfnToSlot[(int) gfn] = slot;
        index.setAtIndex(U64, slot, gfn);
    }

    /** Reads the page in {@code slot} into {@code into}. */
    public void read(int slot, MemorySegment into) throws IOException {
        var buf = into.asSlice(0, PAGE).asByteBuffer();
        long pos = (long) slot * PAGE;
        while (buf.hasRemaining()) {
            int n = data.read(buf, pos);
            if (n < 0) { // never written (sparse tail): zeroes
                while (buf.hasRemaining()) buf.put((byte) 0);
                break;
            }
            pos += n;
        }
    }

    /** Frees {@code slot} (page back in, or dropped): clears the index entry and pushes it on the free stack. */
    public void free(int slot) {
        long g = slotToGfn[slot];
        if (g == 0) return;
        index.setAtIndex(U64, slot, 0L);
        gfnToSlot[(int) g] = -1;
        slotToGfn[slot] = 0;
        used--;
        freeSlots.push(slot);
    }

    public Path path() { return path; }

    /** Removes both files' names (the open file stays usable until close), as xenpaging does on exit. */
    public void unlink() throws IOException {
        Files.deleteIfExists(path);
        Files.deleteIfExists(indexPath);
    }

    @Override public void close() throws IOException {
        data.close();
        arena.close();
    }
}
