package org.fallow.hypervisor.core;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The host's page budget ("machine memory"): a fixed number of 4 KiB frames shared by every domain's allocation
 * (tot_pages, PoD caches, persistent tmem pages) and the hypervisor's own heap (ephemeral tmem pages).
 * When an allocation does not fit, registered {@link Reclaimer}s (tmem's ephemeral LRU) are asked to give pages back
 * first, as Xen's allocator calls tmem_relinquish_pages.
 */
public final class HostMemory {
    /** Frees some host pages on demand; returns the number of pages it freed (0 = nothing left to give). */
    @FunctionalInterface
    public interface Reclaimer {
        long reclaim(long pagesWanted);
    }

    private final long totalPages;
    private long freePages;
    private final List<Reclaimer> reclaimers = new CopyOnWriteArrayList<>();

    public HostMemory(long totalPages) {
        if (totalPages <= 0) throw new IllegalArgumentException("host memory must be positive: " + totalPages);
        this.totalPages = totalPages;
        this.freePages = totalPages;
    }

    public static HostMemory ofMiB(long mib) { return new HostMemory(mib * 256); }

    public long totalPages() { return totalPages; }

    public synchronized long freePages() { return freePages; }

    public void addReclaimer(Reclaimer r) { reclaimers.add(r); }

    /** Takes {@code n} pages, reclaiming ephemeral memory if needed; false (nothing taken) if they cannot be had. */
    public boolean allocate(long n) {
        if (n < 0) throw new IllegalArgumentException("negative allocation " + n);
        for (int attempt = 0; ; attempt++) {
            synchronized (this) {
                if (freePages >= n) {
                    freePages -= n;
                    return true;
                }
            }
            if (attempt >= 64 || !reclaim(n - freePages())) return false;
        }
    }

    /** Takes {@code n} pages only if they are free now, without reclaiming (used by ephemeral tmem puts). */
    public synchronized boolean allocateNoReclaim(long n) {
        if (freePages < n) return false;
        freePages -= n;
        return true;
    }

    public synchronized void free(long n) {
        if (n < 0 || freePages + n > totalPages)
            throw new IllegalStateException("host page accounting broken: free " + n + " with " + freePages + "/" + totalPages + " free");
        freePages += n;
    }

    private boolean reclaim(long wanted) {
        long got = 0;
        for (Reclaimer r : reclaimers) {
            got += r.reclaim(wanted - got);
            if (got >= wanted) break;
        }
        return got > 0;
    }
}
