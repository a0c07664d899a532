package org.fallow.hypervisor.core;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The host's page budget ("machine memory"): a fixed number of 4 KiB frames shared by every domain's allocation
 * (tot_pages, PoD caches, persistent tmem pages) and the hypervisor's own heap (ephemeral tmem pages).
 *
 * <p>Allocation follows Xen 4.12's {@code alloc_heap_pages} with tmem: the allocator keeps a "mid-size zone" of 1/128
 * of the largest amount of free memory it has seen ({@code midsize_alloc_zone_pages}). While free memory is at or
 * below it and the {@link Reclaimer} (tmem) has freeable pages, an order-0 allocation is served by
 * {@code tmem_relinquish_pages} — one page, taken from tmem's free list after at most 10 evictions — and an order
 * ≥ 9 allocation fails; other orders, and every allocation while free memory is above the zone, come from the free
 * pages or fail. Nothing else reclaims.
 */
public final class HostMemory {
    /** tmem as the allocator sees it. */
    public interface Reclaimer {
        /** tmem_freeable_pages(): pages tmem could give back (its free list + pages holding ephemeral data). */
        long freeablePages();

        /**
         * tmem_relinquish_pages for order 0: frees one page to the host, from tmem's free list after at most 10
         * evictions. False if no page could be freed.
         */
        boolean relinquishOne();
    }

    /** MIDSIZE_ALLOC_FRAC. */
    public static final int MIDSIZE_ALLOC_FRAC = 128;
    /** Orders 1..8 are "mid-size" and never go to tmem. */
    static final int SUPERPAGE_ORDER = 9;

    private final long totalPages;
    private long freePages;
    private long midsizeZonePages;
    private final List<Reclaimer> reclaimers = new CopyOnWriteArrayList<>();

    public HostMemory(long totalPages) {
        if (totalPages <= 0) throw new IllegalArgumentException("host memory must be positive: " + totalPages);
        this.totalPages = totalPages;
        this.freePages = totalPages;
        this.midsizeZonePages = totalPages / MIDSIZE_ALLOC_FRAC;
    }

    public static HostMemory ofMiB(long mib) { return new HostMemory(mib * 256); }

    public long totalPages() { return totalPages; }

    public synchronized long freePages() { return freePages; }

    /** midsize_alloc_zone_pages: 1/128 of the peak of free memory. */
    public synchronized long midsizeZonePages() { return midsizeZonePages; }

    public void addReclaimer(Reclaimer r) { reclaimers.add(r); }

    /**
     * Takes {@code n} pages as one allocation of order log2(n) (a non-power-of-two count is a plain bulk allocation),
     * following alloc_heap_pages (class comment); false (nothing taken) if they cannot be had.
     */
    public boolean allocate(long n) {
        if (n < 0) throw new IllegalArgumentException("negative allocation " + n);
        int order = Long.bitCount(n) == 1 ? Long.numberOfTrailingZeros(n) : -1;
        if ((order == 0 || order >= SUPERPAGE_ORDER) && lowOnMemory()) {
            Reclaimer r = freeableReclaimer();
            if (r != null) {
                if (order != 0) return false; // tmem_relinquish_pages: "failing order=%d"
                if (!r.relinquishOne()) return false;
            }
        }
        return allocateNoReclaim(n);
    }

    private synchronized boolean lowOnMemory() { return freePages <= midsizeZonePages; }

    private Reclaimer freeableReclaimer() {
        for (Reclaimer r : reclaimers) if (r.freeablePages() > 0) return r;
        return null;
    }

    /** Takes {@code n} pages only if they are free now, without asking tmem. */
    public synchronized boolean allocateNoReclaim(long n) {
        if (freePages < n) return false;
        freePages -= n;
        return true;
    }

    public synchronized void free(long n) {
        if (n < 0 || freePages + n > totalPages)
            throw new IllegalStateException("host page accounting broken: free " + n + " with " + freePages + "/" + totalPages + " free");
        freePages += n;
        midsizeZonePages = Math.max(midsizeZonePages, freePages / MIDSIZE_ALLOC_FRAC);
    }
}
