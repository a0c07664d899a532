package org.fallow.guest.tmem;

import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * mm/frontswap.c (3.x form): one bit per swap slot per swap type saying "this slot's page is in frontswap", the page
 * count, and the debugfs counters loads, succ_stores, failed_stores, invalidates. A failed store of a slot that was
 * already in frontswap (a duplicate) drops the old copy's bit: the backend discarded it.
 */
public final class Frontswap {
    private final FrontswapOps ops;
    private final Map<Integer, BitSet> maps = new HashMap<>();
    private final Map<Integer, Integer> pages = new HashMap<>();
    private long loads, succStores, failedStores, invalidates;

    /** {@code ops} null = frontswap disabled. */
    public Frontswap(FrontswapOps ops) { this.ops = ops; }

    public boolean enabled() { return ops != null; }

    /** At swapon. */
    public void init(int type) {
        if (ops == null) return;
        maps.put(type, new BitSet());
        pages.put(type, 0);
        ops.init(type);
    }

    public boolean test(int type, long offset) {
        BitSet m = maps.get(type);
        return m != null && m.get((int) offset);
    }

    /** In swap_writepage: true if the page went to frontswap (no disk write needed). */
    public boolean store(int type, long offset, int gfn) {
        BitSet m = maps.get(type);
        if (ops == null || m == null) return false;
        boolean dup = m.get((int) offset);
        if (ops.store(type, offset, gfn) == 0) {
            m.set((int) offset);
            succStores++;
            if (!dup) pages.merge(type, 1, Integer::sum);
            return true;
        }
        failedStores++;
        if (dup) {
            m.clear((int) offset);
            pages.merge(type, -1, Integer::sum);
        }
        return false;
    }

    /** In swap_readpage: true if the page was read from frontswap into {@code gfn}. */
    public boolean load(int type, long offset, int gfn) {
        if (ops == null || !test(type, offset)) return false;
        if (ops.load(type, offset, gfn) == 0) {
            loads++;
            return true;
        }
        return false;
    }

    /** In swap_entry_free: the slot is no longer used. */
    public void invalidatePage(int type, long offset) {
        if (ops == null || !test(type, offset)) return;
        ops.invalidatePage(type, offset);
        maps.get(type).clear((int) offset);
        pages.merge(type, -1, Integer::sum);
        invalidates++;
    }

    /** At swapoff. */
    public void invalidateArea(int type) {
        if (ops == null || !maps.containsKey(type)) return;
        ops.invalidateArea(type);
        maps.get(type).clear();
        pages.put(type, 0);
    }

    public int pages(int type) { return pages.getOrDefault(type, 0); }

    /** frontswap_curr_pages(): the sum over swap types. */
    public long currPages() {
        long s = 0;
        for (int p : pages.values()) s += p;
        return s;
    }

    /** Offsets of {@code type} currently in frontswap, in ascending order. */
    public BitSet map(int type) { return maps.getOrDefault(type, new BitSet()); }

    public long loads() { return loads; }
    public long succStores() { return succStores; }
    public long failedStores() { return failedStores; }
    public long invalidates() { return invalidates; }
}
