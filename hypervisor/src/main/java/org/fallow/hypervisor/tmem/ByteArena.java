package org.fallow.hypervisor.tmem;

/**
 * Accounting for compressed page data, the emulated counterpart of Xen's TLSF {@code xmem_pool}: compressed bytes are
 * packed into whole pages taken from a {@link PageBudget}, one arena for all ephemeral data and one per client for
 * its persistent data. The arena holds {@code ceil(bytes / 4096)} pages (no fragmentation is modelled) and gives a
 * page back as soon as its bytes fit in one page less.
 */
final class ByteArena {
    private final PageBudget budget;
    private long bytes;
    private long pages;

    ByteArena(PageBudget budget) { this.budget = budget; }

    /** Reserves {@code n} bytes, taking pages as needed; false (nothing reserved) if a page cannot be had. */
    boolean reserve(int n) {
        long want = bytes + n;
        long taken = 0;
        while ((pages + taken) * TmemDefs.PAGE_SIZE < want) {
            if (!budget.take()) {
                for (long i = 0; i < taken; i++) budget.give();
                return false;
            }
            taken++;
        }
        pages += taken;
        bytes = want;
        return true;
    }

    /** Releases {@code n} bytes, giving back pages no longer needed; returns how many pages were given back. */
    int release(int n) {
        if (n < 0 || n > bytes) throw new IllegalStateException("arena accounting broken: release " + n + " of " + bytes);
        bytes -= n;
        int given = 0;
        while (pages > 0 && (pages - 1) * TmemDefs.PAGE_SIZE >= bytes) {
            pages--;
            budget.give();
            given++;
        }
        return given;
    }

    long bytes() { return bytes; }

    long pages() { return pages; }
}
