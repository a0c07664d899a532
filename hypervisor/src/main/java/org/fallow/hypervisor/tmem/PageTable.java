package org.fallow.hypervisor.tmem;

/**
 * The descriptors of stored pages (Xen's {@code pgp}) as columns of primitive arrays, so that a million stored pages
 * are a few dozen arrays for the GC, not a million objects. A page is an int handle, 1 .. {@link #MAX_PAGES}
 * ({@link #NIL} = none); its 24 bytes of metadata are two longs and two ints:
 *
 * <pre>
 *  g:  63          48 47                 24 23                  0
 *     +--------------+---------------------+---------------------+
 *     | object id lo | global LRU next     | global LRU prev     |
 *     +--------------+---------------------+---------------------+
 *  c:  63          48 47                 24 23                  0
 *     +--------------+---------------------+---------------------+
 *     | object id hi | client LRU next     | client LRU prev     |
 *     +--------------+---------------------+---------------------+
 *  index: the page's 32-bit index in its object
 *  loc:   where its data is ({@link PageSlabs} location)
 * </pre>
 *
 * Links are 24-bit handles, which bounds the table to 2^24 - 1 pages (64 GiB of raw pages). Free handles are chained
 * through the global-next field. The columns are arrays of 4096-entry chunks, added as the table grows, so the
 * capacity beyond the pages stored is at most one chunk. Not thread-safe.
 */
final class PageTable {
    static final int NIL = 0;
    static final int MAX_PAGES = (1 << 24) - 1;
    static final int BYTES_PER_PAGE = 8 + 8 + 4 + 4;
    private static final int CHUNK_SHIFT = 12;
    private static final int CHUNK = 1 << CHUNK_SHIFT;
    private static final int MASK = CHUNK - 1;
    private static final long L24 = 0xFFFFFFL;

    private long[][] g = new long[4][];
    private long[][] c = new long[4][];
    private int[][] index = new int[4][];
    private int[][] loc = new int[4][];
    private int chunks;
    /** Handles below this have been handed out at least once. */
    private int bumped = 1;
    private int freeHead = NIL;
    private int live;

    /** Stored pages. */
    int size() { return live; }

    boolean full() { return freeHead == NIL && bumped > MAX_PAGES; }

    /** A new page descriptor (links NIL); NIL if the table is full. */
    int allocate(int objectId, int pageIndex, int dataLoc) {
        int h;
        if (freeHead != NIL) {
            h = freeHead;
            freeHead = gNext(h);
        } else {
            if (bumped > MAX_PAGES) return NIL;
            h = bumped++;
            if ((h >>> CHUNK_SHIFT) == chunks) addChunk();
        }
        g[h >>> CHUNK_SHIFT][h & MASK] = (long) (objectId & 0xFFFF) << 48;
        c[h >>> CHUNK_SHIFT][h & MASK] = (long) (objectId >>> 16) << 48;
        index[h >>> CHUNK_SHIFT][h & MASK] = pageIndex;
        loc[h >>> CHUNK_SHIFT][h & MASK] = dataLoc;
        live++;
        return h;
    }

    void free(int h) {
        check(h);
        g[h >>> CHUNK_SHIFT][h & MASK] = (long) freeHead << 24;
        c[h >>> CHUNK_SHIFT][h & MASK] = -1L; // object id -1: not a live page
        freeHead = h;
        live--;
    }

    /** True if {@code h} is a handle of a stored page. */
    boolean isLive(int h) {
        return h > NIL && h < bumped && c[h >>> CHUNK_SHIFT][h & MASK] != -1L;
    }

    int objectId(int h) {
        return (int) (g[h >>> CHUNK_SHIFT][h & MASK] >>> 48) | (int) (c[h >>> CHUNK_SHIFT][h & MASK] >>> 48) << 16;
    }

    int index(int h) { return index[h >>> CHUNK_SHIFT][h & MASK]; }

    int loc(int h) { return loc[h >>> CHUNK_SHIFT][h & MASK]; }

    void setLoc(int h, int dataLoc) { loc[h >>> CHUNK_SHIFT][h & MASK] = dataLoc; }

    int gPrev(int h) { return (int) (g[h >>> CHUNK_SHIFT][h & MASK] & L24); }

    int gNext(int h) { return (int) (g[h >>> CHUNK_SHIFT][h & MASK] >>> 24 & L24); }

    int cPrev(int h) { return (int) (c[h >>> CHUNK_SHIFT][h & MASK] & L24); }

    int cNext(int h) { return (int) (c[h >>> CHUNK_SHIFT][h & MASK] >>> 24 & L24); }

    void setGPrev(int h, int v) { long[] a = g[h >>> CHUNK_SHIFT]; int i = h & MASK; a[i] = a[i] & ~L24 | v; }

    void setGNext(int h, int v) { long[] a = g[h >>> CHUNK_SHIFT]; int i = h & MASK; a[i] = a[i] & ~(L24 << 24) | (long) v << 24; }

    void setCPrev(int h, int v) { long[] a = c[h >>> CHUNK_SHIFT]; int i = h & MASK; a[i] = a[i] & ~L24 | v; }

    void setCNext(int h, int v) { long[] a = c[h >>> CHUNK_SHIFT]; int i = h & MASK; a[i] = a[i] & ~(L24 << 24) | (long) v << 24; }

    /** Heap bytes of the columns: every allocated chunk (24 B per entry) plus the chunk tables. */
    long metadataBytes() {
        return (long) chunks * CHUNK * BYTES_PER_PAGE + (long) chunks * (4 * 16) + 4L * (16 + 4L * g.length);
    }

    private void check(int h) {
        if (!isLive(h)) throw new IllegalStateException("tmem: page handle " + h + " is not live");
    }

    private void addChunk() {
        if (chunks == g.length) {
            int n = g.length * 2;
            g = java.util.Arrays.copyOf(g, n);
            c = java.util.Arrays.copyOf(c, n);
            index = java.util.Arrays.copyOf(index, n);
            loc = java.util.Arrays.copyOf(loc, n);
        }
        g[chunks] = new long[CHUNK];
        long[] cc = new long[CHUNK];
        java.util.Arrays.fill(cc, -1L);
        c[chunks] = cc;
        index[chunks] = new int[CHUNK];
        loc[chunks] = new int[CHUNK];
        chunks++;
    }
}
