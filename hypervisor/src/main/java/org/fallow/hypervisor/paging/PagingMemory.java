package org.fallow.hypervisor.paging;

import java.lang.foreign.MemorySegment;

/**
 * What memory paging needs from a domain's memory (the guest-memory subsystem implements it through an adapter):
 * the shared p2m words of PROTOCOL.md §3.3, the hypervisor's mapping of the domain's frames, and allocation
 * accounting. Every method runs on the dispatch thread.
 */
public interface PagingMemory {
    /** Xen 4.12 p2m type numbers used here. */
    int P2M_RAM_RW = 0, P2M_INVALID = 1, P2M_RAM_LOGDIRTY = 2, P2M_POD = 6,
        P2M_PAGING_OUT = 9, P2M_PAGED = 10, P2M_PAGING_IN = 11, P2M_SHARED = 12;
    /** In-flight guest access count unit in a p2m word (bits 16-31). */
    int INFLIGHT_ONE = 0x10000;

    long maxPages();

    /** The whole 32-bit shared p2m word of {@code gfn} (type in bits 0-7, in-flight count in bits 16-31). */
    int p2mWord(long gfn);

    /** Compare-and-swap of the whole p2m word; false if it was not {@code expect}. */
    boolean casP2mWord(long gfn, int expect, int update);

    /** The hypervisor's view of frame {@code gfn} (4096 bytes of the domain's memory file). */
    MemorySegment frame(long gfn);

    /** Gives the frame of an evicted gfn back to the host: punch its hole, tot_pages−−, host free. */
    void releaseFrame(long gfn);

    /** Allocates a host page for an evicted gfn being prepped (tot_pages++); false = no memory (-ENOMEM). */
    boolean allocateFrame(long gfn);

    /** Whether {@code gfn} has a frame (false once evicted, until prep gives it one). */
    boolean backed(long gfn);

    /** d->paged_pages (reported by getdomaininfo). */
    long pagedPages();

    void pagedPagesAdd(long delta);

    /** Where the hypervisor keeps the domain's files (the ring file {@code dom<D>.vmring} goes there too). */
    java.nio.file.Path runDir();

    /** Paging was enabled for {@code d}: route its paging-type events (faults, foreign populates, drops) to us. */
    default void pagingEnabled(org.fallow.hypervisor.core.Domain d, PagingSubsystem paging) {}

    /** Keeps (or lets go of) {@code gfn}'s storage when the gfn leaves the physmap: the frame of a 4.17 ring. */
    default void holdStorage(long gfn, boolean hold) {}

    /** The domain's memory file ({@code dom<D>.mem}): a 4.17 ring maps its ring gfn's frame from it. */
    default java.nio.file.Path memoryFile() { return null; }

    /** Makes a populate-on-demand gfn RAM (a foreign mapping's P2M_ALLOC); false if that is not possible now. */
    default boolean populateOnDemand(long gfn) { return false; }

    /** Outstanding populate-on-demand entries (paging cannot be enabled while there are any: -EXDEV). */
    long podEntries();

    /** HVM param {@code index} (27 = HVM_PARAM_PAGING_RING_PFN), 0 if unset. */
    long hvmParam(int index);

    static int type(int word) { return word & 0xFF; }

    static int inflight(int word) { return word >>> 16; }

    static int withType(int word, int type) { return (word & ~0xFF) | type; }
}
