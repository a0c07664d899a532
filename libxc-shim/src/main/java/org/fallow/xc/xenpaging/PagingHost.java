package org.fallow.xc.xenpaging;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * The libxc, event-channel and xenstore calls xenpaging makes, so the daemon runs over the wire
 * ({@link XcPagingHost}) or in-process in tests. Return values are Xen's (negated errno on failure).
 */
public interface PagingHost extends AutoCloseable {
    /** The bits of xc_domain_getinfo xenpaging uses; null when the domain does not exist. */
    record DomainInfo(long maxPages, long totPages, long pagedPages, boolean dying) {}

    DomainInfo domainInfo(int domid) throws IOException;

    /** xc_hvm_param_get. */
    long hvmParam(int domid, int index) throws IOException;

    /** The p2m type of {@code gfn} from the shared p2m view (PROTOCOL.md §3.3), or −1 if unreadable. */
    int p2mType(int domid, long gfn) throws IOException;

    /** xc_domain_populate_physmap_exact of one order-0 extent: 0 or a negated errno. */
    int populateOne(int domid, long gfn) throws IOException;

    /** xc_domain_decrease_reservation_exact of one order-0 extent: 0 or a negated errno. */
    int decreaseOne(int domid, long gfn) throws IOException;

    /** xc_mem_paging_enable: the event-channel port (> 0) or a negated errno. */
    int pagingEnable(int domid) throws IOException;

    int pagingDisable(int domid) throws IOException;

    int nominate(int domid, long gfn) throws IOException;

    int evict(int domid, long gfn) throws IOException;

    /** xc_mem_paging_load: prep with a page-aligned hypercall buffer holding {@code page}. */
    int load(int domid, long gfn, MemorySegment page) throws IOException;

    /** nominate of each gfn (at most 64); hosts may send them as one batch. */
    default int[] nominateAll(int domid, long[] gfns) throws IOException {
        int[] r = new int[gfns.length];
        for (int i = 0; i < gfns.length; i++) r[i] = nominate(domid, gfns[i]);
        return r;
    }

    /** evict of each gfn (at most 64). */
    default int[] evictAll(int domid, long[] gfns) throws IOException {
        int[] r = new int[gfns.length];
        for (int i = 0; i < gfns.length; i++) r[i] = evict(domid, gfns[i]);
        return r;
    }

    /** load of each gfn with its page (at most 64). */
    default int[] loadAll(int domid, long[] gfns, MemorySegment[] pages) throws IOException {
        int[] r = new int[gfns.length];
        for (int i = 0; i < gfns.length; i++) r[i] = load(domid, gfns[i], pages[i]);
        return r;
    }

    /** A read-only view of guest frame {@code gfn} (xc_map_foreign_pages PROT_READ); valid while paging_out. */
    MemorySegment guestFrame(int domid, long gfn) throws IOException;

    /** The shared ring page: Xen's reference to the ring gfn, the hypervisor's {@code dom<D>.vmring}. */
    MemorySegment mapRing(int domid) throws IOException;

    /** xc_evtchn_notify. */
    void notify(int port) throws IOException;

    /** Event-channel notifications from the hypervisor (called on a transport thread). */
    void onEvent(IntConsumer listener);

    String xsRead(String path) throws IOException;

    void xsWrite(String path, String value) throws IOException;

    /** Watches {@code path}; {@code onChange} gets the changed path (on a transport thread: do not block in it). */
    void xsWatch(String path, String token, Consumer<String> onChange) throws IOException;

    @Override void close();
}
