package org.fallow.hypervisor.paging;

import org.fallow.abi.wire.P2mHeader;
import org.fallow.abi.xen.P2mType;

import java.lang.foreign.MemorySegment;

/**
 * What memory paging needs from a domain's memory (the guest-memory subsystem implements it through an adapter):
 * the shared p2m words of PROTOCOL.md §3.3, the hypervisor's mapping of the domain's frames, and allocation
 * accounting. Every method runs on the dispatch thread.
 */
public interface PagingMemory {
    /** Xen 4.12 p2m type numbers used here (abi's {@link P2mType}). */
    int P2M_RAM_RW = P2mType.P2M_RAM_RW, P2M_INVALID = P2mType.P2M_INVALID, P2M_RAM_LOGDIRTY = P2mType.P2M_RAM_LOGDIRTY,
        P2M_POD = P2mType.P2M_POPULATE_ON_DEMAND, P2M_PAGING_OUT = P2mType.P2M_RAM_PAGING_OUT,
        P2M_PAGED = P2mType.P2M_RAM_PAGED, P2M_PAGING_IN = P2mType.P2M_RAM_PAGING_IN, P2M_SHARED = P2mType.P2M_RAM_SHARED;
    /** In-flight guest access count unit in a p2m word (bits 16-31; abi's {@link P2mHeader}). */
    int INFLIGHT_ONE = P2mHeader.INFLIGHT_ONE;

    long maxPages();

    /** The whole 32-bit shared p2m word of {@code gfn} (stored type in bits 0-7, in-flight count in bits 16-31). */
    int p2mWord(long gfn);

    /**
     * The p2m type of {@code gfn} (an unset word is populate_on_demand inside a PoD extent, invalid elsewhere). The
     * default reads the word alone: right for a memory without PoD extents.
     */
    default int p2mType(long gfn) { return type(p2mWord(gfn)); }

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
    default void pagingEnabled(org.fallow.hypervisor.core.Domain d, PagingEngine paging) {}

    /** Keeps (or lets go of) {@code gfn}'s storage when the gfn leaves the physmap: the frame of a 4.17 ring. */
    default void holdStorage(long gfn, boolean hold) {}

    /** The domain's memory file ({@code dom<D>.mem}): a 4.17 ring maps its ring gfn's frame from it. */
    default java.nio.file.Path memoryFile() { return null; }

    /** Makes a populate-on-demand gfn RAM (a foreign mapping's P2M_ALLOC); false if that is not possible now. */
    default boolean populateOnDemand(long gfn) { return false; }

    /** Outstanding populate-on-demand entries (paging cannot be enabled while there are any: -EXDEV). */
    long podEntries();

    /**
     * Whether the domain uses hardware-assisted paging: created HVM with {@code XEN_DOMCTL_CDF_hap}. Paging needs it
     * (ENABLE answers -ENODEV otherwise, as Xen's {@code hap_enabled(d)} check).
     */
    default boolean hap() { return true; }

    /** HVM param {@code index} (27 = HVM_PARAM_PAGING_RING_PFN), 0 if unset. */
    long hvmParam(int index);

    /** The word's own type (unset reads invalid; {@link #p2mType} also knows PoD extents). */
    static int type(int word) { return P2mHeader.typeOf(word); }

    static int inflight(int word) { return P2mHeader.inflightOf(word); }

    static int withType(int word, int type) { return P2mHeader.withType(word, type); }
}
