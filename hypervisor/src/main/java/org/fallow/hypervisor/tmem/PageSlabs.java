package org.fallow.hypervisor.tmem;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Stored page data off the GC heap: slabs of native memory ({@link Arena#ofAuto()}) cut into fixed-size slots, one
 * slab list per size class. Class {@link #RAW} holds raw 4096-byte pages (page-aligned); class {@code k} in 1..64
 * holds compressed pages in slots of {@code k * 64} bytes. A page's location is one int:
 *
 * <pre>
 *   31      24 23                              0
 *  +----------+---------------------------------+
 *  |  class   |  slot (within the class)        |     slab = slot >>> 8, offset = (slot & 255) * slotSize
 *  +----------+---------------------------------+
 * </pre>
 *
 * A compressed slot starts with a little-endian u16 header, its payload's length and format, then the payload:
 *
 * <pre>
 *   0        2                                      2 + n
 *  +--------+--------------------------------------+--------- - -
 *  | header |  n payload bytes                     |  unused
 *  +--------+--------------------------------------+--------- - -
 *
 *  header:  15   14   13 12  11                  0
 *         +----+----+-------+---------------------+
 *         | S  | W  |   0   |  n                  |   S: a same-filled page (payload: the 8-byte word repeated)
 *         +----+----+-------+---------------------+   W: {@link WordCoder} output; neither: the codec's LZ4/LZO stream
 * </pre>
 *
 * Free slots form one intrusive list per class through their first 4 bytes (slot + 1, 0 = end), so freeing and
 * reusing a slot costs no metadata array. Slab memory is kept at its high-water mark while the engine lives (freed
 * slots are reused first) and goes back to the OS when the engine is garbage collected. Native segments count against
 * {@code -XX:MaxDirectMemorySize} (by default the maximum heap size); a slab the JVM refuses is an allocation failure
 * (-ENOMEM for the put), never an error thrown out of the engine. Not thread-safe.
 */
final class PageSlabs {
    static final int RAW = 0;
    static final int GRANULE = 64;
    static final int MAX_CLASS = TmemDefs.PAGE_SIZE / GRANULE; // 64: slots of 4096 bytes for compressed data
    static final int HEADER = 2;
    /** Header flag: the payload is a same-filled page's 8-byte word. */
    static final int SAME_FILLED = 0x8000;
    /** Header flag: the payload is {@link WordCoder} output (else the codec's LZ4 or LZO stream). */
    static final int WORDS = 0x4000;
    /** Header bits of the payload's length (at most 4095; compressed payloads are shorter than a page). */
    static final int LENGTH = 0x0FFF;
    static final int SLOT_BITS = 24;
    static final int MAX_SLOTS = 1 << SLOT_BITS;
    private static final int SLAB_SHIFT = 8;
    private static final int SLOTS_PER_SLAB = 1 << SLAB_SHIFT;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt FREE_LINK = ValueLayout.JAVA_INT_UNALIGNED;

    private final Arena arena = Arena.ofAuto();
    private final MemorySegment[][] slabs = new MemorySegment[MAX_CLASS + 1][];
    private final int[] slabCount = new int[MAX_CLASS + 1];
    /** Slots of each class handed out at least once (bump pointer); slots below it are live or on the free list. */
    private final int[] bumped = new int[MAX_CLASS + 1];
    private final int[] freeHead = new int[MAX_CLASS + 1];
    private final long[] live = new long[MAX_CLASS + 1];
    private long slabBytes;

    static int slotSize(int cls) { return cls == RAW ? TmemDefs.PAGE_SIZE : cls * GRANULE; }

    /** The smallest compressed class that holds {@code n} payload bytes and the header. */
    static int classFor(int n) {
        int cls = (n + HEADER + GRANULE - 1) / GRANULE;
        if (n < 0 || cls > MAX_CLASS) throw new IllegalArgumentException("compressed length " + n);
        return cls;
    }

    static int classOf(int loc) { return loc >>> SLOT_BITS; }

    static boolean isRaw(int loc) { return classOf(loc) == RAW; }

    /** A free slot of class {@code cls}: its location, or -1 if the class is full. */
    int allocate(int cls) {
        int head = freeHead[cls];
        int slot;
        if (head != 0) {
            slot = head - 1;
            freeHead[cls] = slab(cls, slot).get(FREE_LINK, offset(cls, slot));
        } else {
            slot = bumped[cls];
            if (slot == MAX_SLOTS) return -1;
            if ((slot >>> SLAB_SHIFT) == slabCount[cls] && !addSlab(cls)) return -1;
            bumped[cls]++;
        }
        live[cls]++;
        return cls << SLOT_BITS | slot;
    }

    void free(int loc) {
        int cls = classOf(loc), slot = loc & (MAX_SLOTS - 1);
        if (slot >= bumped[cls] || live[cls] == 0) throw new IllegalStateException("tmem: free of unallocated slot " + loc);
        slab(cls, slot).set(FREE_LINK, offset(cls, slot), freeHead[cls]);
        freeHead[cls] = slot + 1;
        live[cls]--;
    }

    /** The slab holding {@code loc}; its slot starts at {@link #offset(int)}. */
    MemorySegment segment(int loc) { return slab(classOf(loc), loc & (MAX_SLOTS - 1)); }

    long offset(int loc) { return offset(classOf(loc), loc & (MAX_SLOTS - 1)); }

    /**
     * Writes a compressed slot: the u16 header ({@code n} and {@code format}: 0, {@link #SAME_FILLED} or {@link #WORDS})
     * then {@code n} bytes of {@code src}.
     */
    void writeCompressed(int loc, MemorySegment src, int n, int format) {
        if ((n & ~LENGTH) != 0 || (format & ~(SAME_FILLED | WORDS)) != 0)
            throw new IllegalArgumentException("compressed slot of " + n + " bytes, format " + Integer.toHexString(format));
        MemorySegment s = segment(loc);
        long off = offset(loc);
        s.set(U16, off, (short) (n | format));
        MemorySegment.copy(src, 0, s, off + HEADER, n);
    }

    /** The raw u16 header of a compressed slot (length, and {@link #SAME_FILLED} or {@link #WORDS}). */
    int header(int loc) { return segment(loc).get(U16, offset(loc)) & 0xFFFF; }

    /** Copies a compressed slot's payload into {@code dst}; returns its length. */
    int readCompressed(int loc, byte[] dst) {
        int n = header(loc) & LENGTH;
        MemorySegment.copy(segment(loc), ValueLayout.JAVA_BYTE, offset(loc) + HEADER, dst, 0, n);
        return n;
    }

    /** Slots in use in class {@code cls}. */
    long liveSlots(int cls) { return live[cls]; }

    /** Native bytes held in slabs (all classes). */
    long slabBytes() { return slabBytes; }

    /** Heap bytes of this allocator's bookkeeping (the per-class arrays and slab tables; no per-page cost). */
    long metadataBytes() {
        long b = 5L * 16 + 4L * (MAX_CLASS + 1) * 4 + 8L * (MAX_CLASS + 1);
        for (MemorySegment[] t : slabs) if (t != null) b += 16 + 4L * t.length + 32L * t.length; // refs + segment objects
        return b;
    }

    private MemorySegment slab(int cls, int slot) { return slabs[cls][slot >>> SLAB_SHIFT]; }

    private static long offset(int cls, int slot) { return (long) (slot & (SLOTS_PER_SLAB - 1)) * slotSize(cls); }

    /**
     * A new slab for class {@code cls}; false if the JVM refuses the native memory (native segments count against
     * {@code -XX:MaxDirectMemorySize}): the put that needed it fails with -ENOMEM, nothing else is disturbed.
     */
    private boolean addSlab(int cls) {
        long bytes = (long) SLOTS_PER_SLAB * slotSize(cls);
        MemorySegment slab;
        try {
            slab = arena.allocate(bytes, cls == RAW ? TmemDefs.PAGE_SIZE : GRANULE);
        } catch (OutOfMemoryError e) {
            if (allocFailures++ % 1024 == 0)
                log.warn("tmem: no native memory for a {}-byte slab ({} bytes in slabs; failure {}): {}", bytes, slabBytes, allocFailures, e.toString());
            return false;
        }
        MemorySegment[] t = slabs[cls];
        if (t == null) t = slabs[cls] = new MemorySegment[4];
        if (slabCount[cls] == t.length) t = slabs[cls] = java.util.Arrays.copyOf(t, t.length * 2);
        t[slabCount[cls]++] = slab;
        slabBytes += bytes;
        return true;
    }

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(PageSlabs.class);
    private long allocFailures;
}
