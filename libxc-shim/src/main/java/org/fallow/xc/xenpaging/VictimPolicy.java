package org.fallow.xc.xenpaging;

/**
 * xenpaging's default victim policy (tools/xenpaging/policy_default.c, 4.12): a linear round-robin scan over the
 * gfns starting in the middle, a "busy" bitmap (paged out, held by the MRU, and gfn 0 forever), an "unconsumed"
 * bitmap (already offered this sweep), and an MRU ring of recently paged-in gfns.
 */
public final class VictimPolicy {
    public static final long INVALID = -1L;
    public static final int DEFAULT_MRU_SIZE = 1024 * 16;
    /** Sweeps without a victim after which the unconsumed bitmap is cleared (≈12 s at the 100 ms poll timeout). */
    public static final int UNCONSUMED_RETRY_SWEEPS = 123;

    private final long maxPages;
    private final long[] busy;
    private final long[] unconsumed;
    private final long[] mru;
    private final int mruSize;
    private int iMru;
    private int unconsumedCleared;
    private long currentGfn;
    private boolean usePollTimeout;

    public VictimPolicy(long maxPages, int mruSize) {
        if (maxPages <= 0) throw new IllegalArgumentException("max_pages " + maxPages);
        this.maxPages = maxPages;
        int words = (int) ((maxPages + 63) >>> 6);
        this.busy = new long[words];
        this.unconsumed = new long[words];
        this.mruSize = mruSize > 0 ? mruSize : DEFAULT_MRU_SIZE;
        this.mru = new long[this.mruSize];
        java.util.Arrays.fill(mru, INVALID);
        set(busy, 0); // never page out gfn 0
        currentGfn = maxPages / 2; // start in the middle, away from the BIOS
    }

    public int mruSize() { return mruSize; }

    /** Set when a sweep found nothing (xenpaging then polls with a 100 ms timeout). */
    public boolean usePollTimeout() { return usePollTimeout; }

    public void clearPollTimeout() { usePollTimeout = false; }

    /** The target is reached: poll with a timeout instead of spinning. */
    public void usePollTimeoutOn() { usePollTimeout = true; }

    public boolean busy(long gfn) { return test(busy, gfn); }

    public boolean unconsumed(long gfn) { return test(unconsumed, gfn); }

    /** policy_choose_victim: the next gfn that is neither busy nor already offered, or {@link #INVALID}. */
    public long chooseVictim() {
        long i;
        for (i = 0; i < maxPages; i++) {
            currentGfn++;
            if (currentGfn >= maxPages) currentGfn = 0;
            if ((currentGfn & 63) == 0) {
                int w = (int) (currentGfn >>> 6);
                if (busy[w] == -1L || unconsumed[w] == -1L) { // a whole word busy: skip it (and, as in C, one more)
                    currentGfn += 64;
                    i += 64;
                    continue;
                }
            }
            if (test(busy, currentGfn) || test(unconsumed, currentGfn)) continue;
            break;
        }
        if (i >= maxPages) {
            usePollTimeout = true;
            if (++unconsumedCleared > UNCONSUMED_RETRY_SWEEPS) {
                java.util.Arrays.fill(unconsumed, 0L);
                unconsumedCleared = 0;
            }
            return INVALID;
        }
        set(unconsumed, currentGfn);
        return currentGfn;
    }

    public void notifyPagedOut(long gfn) {
        set(busy, gfn);
        clear(unconsumed, gfn);
    }

    /**
     * A gfn came back in. With {@code useMru} (xenpaging: num_paged_out > mru_size) it stays busy while in the MRU
     * ring; otherwise it is evictable at once. Either way the gfn the MRU slot held before is released.
     */
    public void notifyPagedIn(long gfn, boolean useMru) {
        int slot = iMru & (mruSize - 1);
        long old = mru[slot];
        if (old != INVALID) clear(busy, old);
        if (useMru) {
            mru[slot] = gfn;
        } else {
            clear(busy, gfn);
            mru[slot] = INVALID;
        }
        iMru++;
    }

    public void notifyDropped(long gfn) { clear(busy, gfn); }

    private boolean test(long[] map, long gfn) {
        return gfn >= 0 && gfn < maxPages && (map[(int) (gfn >>> 6)] & (1L << (gfn & 63))) != 0;
    }

    private void set(long[] map, long gfn) { if (gfn >= 0 && gfn < maxPages) map[(int) (gfn >>> 6)] |= 1L << (gfn & 63); }

    private void clear(long[] map, long gfn) { if (gfn >= 0 && gfn < maxPages) map[(int) (gfn >>> 6)] &= ~(1L << (gfn & 63)); }
}
