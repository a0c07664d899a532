package org.fallow.cli.stats;

/**
 * One domain's memory figures at one instant, as the hypervisor reports them: getdomaininfo (tot_pages, max_pages,
 * paged_pages, state), XENMEM_get_pod_target (PoD entries and cache) and the tmem LIST (pages, gets, puts).
 * All counts are 4 KiB pages or operations; -1 means "not reported" (e.g. a subsystem that is not running).
 */
public record DomainSample(int domid, String state, long totPages, long maxPages, long podEntries, long podCache,
                           long pagedPages, long tmemEphPages, long tmemPersPages,
                           long ephGets, long ephGetsFound, long persGets, long persGetsFound,
                           long ephPuts, long persPuts) {

    /** A domain with only the getdomaininfo figures known. */
    public static DomainSample basic(int domid, String state, long totPages, long maxPages, long pagedPages) {
        return new DomainSample(domid, state, totPages, maxPages, -1, -1, pagedPages, -1, -1, -1, -1, -1, -1, -1, -1);
    }

    public DomainSample withPod(long entries, long cache) {
        return new DomainSample(domid, state, totPages, maxPages, entries, cache, pagedPages, tmemEphPages, tmemPersPages,
                ephGets, ephGetsFound, persGets, persGetsFound, ephPuts, persPuts);
    }

    public DomainSample withTmem(long ephPages, long persPages, long ephGets, long ephFound, long persGets, long persFound,
                                 long ephPuts, long persPuts) {
        return new DomainSample(domid, state, totPages, maxPages, podEntries, podCache, pagedPages, ephPages, persPages,
                ephGets, ephFound, persGets, persFound, ephPuts, persPuts);
    }

    /**
     * The memory the guest has as it sees it: populated pages (tot_pages less the PoD cache), plus PoD entries (memory
     * it was promised and has not touched), plus pages paged out (memory it owns that lives in the pager's file).
     */
    public long guestVisiblePages() {
        return Math.max(0, totPages) - Math.max(0, podCache) + Math.max(0, podEntries) + Math.max(0, pagedPages);
    }

    /** Ephemeral (cleancache) get hit rate in [0,1], or NaN when there were no gets. */
    public double ephHitRate() { return ratio(ephGetsFound, ephGets); }

    /** Persistent (frontswap) get hit rate in [0,1], or NaN when there were no gets. */
    public double persHitRate() { return ratio(persGetsFound, persGets); }

    static double ratio(long found, long all) { return all <= 0 || found < 0 ? Double.NaN : (double) found / all; }
}
