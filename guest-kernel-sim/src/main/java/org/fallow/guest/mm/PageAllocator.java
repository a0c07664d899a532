package org.fallow.guest.mm;

/**
 * The guest's physical page allocator over gfns 0..maxPfn-1: which frame holds what, a LIFO free list, and the balloon
 * driver's list of ballooned-out frames. "Owned" frames (everything not ballooned) are the guest's memory budget: the
 * pages it holds of its tot_pages. Not thread-safe: the simulated kernel runs on one thread.
 */
public final class PageAllocator {
    private final int maxPfn;
    private final byte[] kind;
    private final boolean[] written;
    private final int[] freeStack;
    private int freeTop;
    private final int[] ballooned;
    private int balloonedTop;
    private final int[] counts = new int[FrameKind.VALUES.length];

    /** All frames start free (the boot allocator hands everything to the page allocator). */
    public PageAllocator(long maxPfn) { this(maxPfn, g -> FrameKind.FREE); }

    /**
     * Boot state per frame from the firmware's memory map: FREE (RAM), HOLE (not RAM), or BALLOONED (RAM the domain
     * does not have yet: Linux puts such frames on the balloon list at boot, to be populated when the target rises).
     */
    public PageAllocator(long maxPfn, java.util.function.IntFunction<FrameKind> bootState) {
        if (maxPfn <= 0 || maxPfn > Integer.MAX_VALUE) throw new IllegalArgumentException("maxPfn " + maxPfn);
        this.maxPfn = (int) maxPfn;
        this.kind = new byte[this.maxPfn];
        this.written = new boolean[this.maxPfn];
        this.freeStack = new int[this.maxPfn];
        this.ballooned = new int[this.maxPfn];
        // push high gfns first so low gfns are handed out first; ballooned frames low-first so high ones come back first
        for (int g = this.maxPfn - 1; g >= 0; g--) {
            FrameKind k = bootState.apply(g);
            kind[g] = (byte) k.ordinal();
            counts[k.ordinal()]++;
            switch (k) {
                case FREE -> freeStack[freeTop++] = g;
                case HOLE -> { }
                case BALLOONED -> { }
                default -> throw new IllegalArgumentException("boot state " + k);
            }
        }
        for (int g = 0; g < this.maxPfn; g++) if (kind[g] == FrameKind.BALLOONED.ordinal()) ballooned[balloonedTop++] = g;
    }

    public int maxPfn() { return maxPfn; }

    public FrameKind kindOf(int gfn) { return FrameKind.VALUES[kind[gfn]]; }

    public int count(FrameKind k) { return counts[k.ordinal()]; }

    public int freePages() { return freeTop; }

    /** Frames the guest holds (balloon_stats.current_pages analogue): every frame not ballooned out. */
    public int ownedPages() { return maxPfn - balloonedTop - counts[FrameKind.HOLE.ordinal()]; }

    public int balloonedPages() { return balloonedTop; }

    private void setKind(int gfn, FrameKind k) {
        counts[kind[gfn]]--;
        kind[gfn] = (byte) k.ordinal();
        counts[k.ordinal()]++;
    }

    /** Takes a free frame for {@code k}; -1 if the free list is empty. */
    public int allocate(FrameKind k) {
        if (k == FrameKind.FREE || k == FrameKind.BALLOONED || k == FrameKind.HOLE) throw new IllegalArgumentException(k.toString());
        if (freeTop == 0) return -1;
        int gfn = freeStack[--freeTop];
        setKind(gfn, k);
        return gfn;
    }

    /** Takes a specific free frame (boot-time reservations). */
    public void reserve(int gfn, FrameKind k) {
        if (kindOf(gfn) != FrameKind.FREE) throw new IllegalStateException("gfn " + gfn + " is " + kindOf(gfn));
        for (int i = 0; i < freeTop; i++) {
            if (freeStack[i] == gfn) {
                freeStack[i] = freeStack[--freeTop];
                setKind(gfn, k);
                return;
            }
        }
        throw new IllegalStateException("gfn " + gfn + " not on the free list");
    }

    public void free(int gfn) {
        FrameKind k = kindOf(gfn);
        if (k == FrameKind.FREE || k == FrameKind.BALLOONED || k == FrameKind.HOLE) throw new IllegalStateException("double free of gfn " + gfn + " (" + k + ")");
        setKind(gfn, FrameKind.FREE);
        freeStack[freeTop++] = gfn;
    }

    /** An allocated frame leaves the guest (after decrease_reservation): onto the ballooned list. */
    public void balloonOut(int gfn) {
        if (kindOf(gfn) == FrameKind.FREE || kindOf(gfn) == FrameKind.BALLOONED || kindOf(gfn) == FrameKind.HOLE)
            throw new IllegalStateException("balloon out of unallocated gfn " + gfn);
        setKind(gfn, FrameKind.BALLOONED);
        written[gfn] = false;
        ballooned[balloonedTop++] = gfn;
    }

    /** Pops a ballooned frame to repopulate (-1 if none); it stays BALLOONED until {@link #balloonIn} or {@link #reBalloon}. */
    public int takeBallooned() { return balloonedTop == 0 ? -1 : ballooned[--balloonedTop]; }

    /** A frame taken with {@link #takeBallooned} was populated: it joins the free list. */
    public void balloonIn(int gfn) {
        if (kindOf(gfn) != FrameKind.BALLOONED) throw new IllegalStateException("gfn " + gfn + " not ballooned");
        setKind(gfn, FrameKind.FREE);
        freeStack[freeTop++] = gfn;
    }

    /** A frame taken with {@link #takeBallooned} could not be populated: back onto the ballooned list. */
    public void reBalloon(int gfn) {
        if (kindOf(gfn) != FrameKind.BALLOONED) throw new IllegalStateException("gfn " + gfn + " not ballooned");
        ballooned[balloonedTop++] = gfn;
    }

    /** Marks that the guest stored non-zero data in the frame (a scrub is then needed before giving it away). */
    public void markWritten(int gfn) { written[gfn] = true; }

    public void markZero(int gfn) { written[gfn] = false; }

    public boolean written(int gfn) { return written[gfn]; }
}
