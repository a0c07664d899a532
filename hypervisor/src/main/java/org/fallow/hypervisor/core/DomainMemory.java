package org.fallow.hypervisor.core;

import java.lang.foreign.MemorySegment;

/**
 * A domain's memory as other subsystems see it (implemented by the guest-memory subsystem: p2m, PoD, paging).
 * All methods run on the dispatch thread.
 */
public interface DomainMemory {
    long maxPages();

    /** Guest-physical frames of the domain's memory file (the gfn space; HELLO_ACK nr_frames). */
    default long nrFrames() { return maxPages(); }

    /** d->tot_pages: populated RAM + PoD cache + persistent tmem pages (+ anything else allocated to the domain). */
    long totPages();

    /**
     * Allocates {@code n} pages to the domain that are not in its p2m (persistent tmem pages): fails (false) when
     * tot_pages + n would exceed max_pages or the host has no memory. On success tot_pages grows by n.
     */
    boolean allocateExtra(long n);

    /** Gives back pages taken with {@link #allocateExtra}. */
    void releaseExtra(long n);

    /**
     * Xen's {@code steal_page}: takes {@code n} pages taken with {@link #allocateExtra} away from the domain
     * (tot_pages - n) without freeing them, so the caller (tmem's free list) keeps them. False when the domain cannot
     * give them up (it is going away): the pages are then freed to the host as by {@link #releaseExtra}.
     */
    default boolean stealExtra(long n) {
        releaseExtra(n);
        return false;
    }

    /**
     * Xen's {@code get_page_from_gfn(d, gfn, P2M_ALLOC)} requiring {@code p2m_ram_rw}: populates a PoD gfn, fails
     * (null) for a paged-out one without asking the pager, and returns the 4096-byte frame only if it is RAM now.
     */
    MemorySegment ramFrame(long gfn);
}
