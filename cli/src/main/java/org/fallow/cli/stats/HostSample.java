package org.fallow.cli.stats;

import java.util.List;

/**
 * The host at one instant: physinfo's total and free pages, tmem's global figures, and every domain.
 * {@code tmemEphPages} are the hypervisor-owned ephemeral tmem pages (they belong to no domain).
 */
public record HostSample(long timeMillis, long totalPages, long freePages, long tmemEphPages, long tmemFreeablePages,
                         List<DomainSample> domains) {
    public HostSample {
        domains = List.copyOf(domains);
    }

    public DomainSample domain(int domid) {
        for (DomainSample d : domains) if (d.domid() == domid) return d;
        return null;
    }

    /** Sum of the domains' tot_pages (which include PoD caches and persistent tmem pages). */
    public long domainPages() {
        long n = 0;
        for (DomainSample d : domains) n += Math.max(0, d.totPages());
        return n;
    }

    /** Sum of the domains' {@link DomainSample#guestVisiblePages()}. */
    public long guestVisiblePages() {
        long n = 0;
        for (DomainSample d : domains) n += d.guestVisiblePages();
        return n;
    }

    /** Host pages tmem holds: ephemeral pages plus its free list (freeable), at least the ephemeral count. */
    public long tmemHostPages() {
        return Math.max(Math.max(0, tmemEphPages), tmemFreeablePages);
    }

    /**
     * tmem's free list: host pages tmem freed and keeps for its own reuse (Xen's tmem_page_list, LIST's {@code Ta});
     * they count as freeable (tmem gives them back when the host needs memory) but not as free.
     */
    public long tmemFreeListPages() {
        return Math.max(0, tmemFreeablePages - Math.max(0, tmemEphPages));
    }

    /** Pages neither free, nor a domain's, nor held by tmem (hypervisor overhead). */
    public long otherPages() {
        return Math.max(0, totalPages - freePages - domainPages() - tmemHostPages());
    }
}
