package org.fallow.hypervisor.mem;

import org.fallow.abi.XenErrno;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;

/**
 * Populate-on-demand for one domain, after Xen 4.12's p2m-pod.c (Xen 4.12 arch/x86/mm/p2m-pod.c).
 * <ul>
 * <li>The cache: {@code count} pages (zeroed, counted in tot_pages, not in the p2m), kept as {@code superCount}
 *     2 MiB chunks and {@code singleCount} 4 KiB pages.</li>
 * <li>{@code entryCount}: gfns of type populate_on_demand. Invariants (M max, B balloon target, P populated):
 *     entry_count = B − P, tot_pages = P + count (+ extra pages).</li>
 * <li>Demand populate on a guest fault: eager reclaim from the 32-entry ring of recently populated gfns when
 *     entry_count &gt; count, an emergency sweep when the cache is empty, a domain crash when it is still empty.</li>
 * <li>Zero pages are only ever reclaimed by CAS from ram_rw with no access in flight (PROTOCOL §3.3).</li>
 * </ul>
 * The shared p2m holds 4 KiB entries only, so populates and zero checks are single pages (no superpage mappings); a
 * PoD marking of any order is one extent of the view's PoD table (its cost does not grow with the order).
 */
public final class Pod {
    private static final Logger log = LoggerFactory.getLogger(Pod.class);

    /** NR_POD_MRP_ENTRIES. */
    public static final int MRP_ENTRIES = 32;
    /** POD_SWEEP_STRIDE: RAM gfns zero-checked per batch. */
    public static final int SWEEP_STRIDE = 16;
    /** POD_SWEEP_LIMIT: how far below its start a sweep may go before it stops (XSA-150). */
    public static final int SWEEP_LIMIT = 1024;
    /** Gfns a sweep may visit before the emulated pCPU has "preemption pending" (hypercall_preempt_check). */
    public static final int DEFAULT_SWEEP_BUDGET = 4 * SWEEP_LIMIT;
    private static final long INVALID_GFN = -1;
    private int sweepBudget = DEFAULT_SWEEP_BUDGET;

    private final DomainPhysmap pm;
    private final PodStats stats = new PodStats();
    private long superCount;
    private long singleCount;
    private long entryCount;
    private final long[] mrp = new long[MRP_ENTRIES];
    private int mrpIdx;
    private long reclaimSingle;
    private long maxGuest;

    Pod(DomainPhysmap pm) {
        this.pm = pm;
        Arrays.fill(mrp, INVALID_GFN);
    }

    /** pod.count: pages in the cache. */
    public long count() { return superCount * MemConstants.SUPERPAGE_PAGES + singleCount; }

    public long superCount() { return superCount; }

    public long singleCount() { return singleCount; }

    /** pod.entry_count: outstanding populate-on-demand gfns. */
    public long entryCount() { return entryCount; }

    /** Where the next emergency sweep starts (0 = from max_guest). */
    public long reclaimSingle() { return reclaimSingle; }

    /** The highest gfn demand-populated so far. */
    public long maxGuest() { return maxGuest; }

    public PodStats stats() { return stats; }

    void entriesAdded(long n) {
        entryCount += n;
        if (entryCount < 0) throw new IllegalStateException("pod entry_count below zero");
    }

    void clear() {
        superCount = singleCount = entryCount = 0;
    }

    // ---- the cache ----------------------------------------------------------------------------------------------

    private void cacheAdd(int order) {
        if (order == MemConstants.SUPERPAGE_ORDER) superCount++;
        else singleCount += 1L << order;
    }

    /** Takes one page of {@code order} (0 or 9) from the cache; a 4 KiB request splits a superpage if needed. */
    private boolean cacheGet(int order) {
        if (order == MemConstants.SUPERPAGE_ORDER) {
            if (superCount == 0) return false;
            superCount--;
            return true;
        }
        if (singleCount == 0) {
            if (superCount == 0) return false;
            superCount--;
            singleCount += MemConstants.SUPERPAGE_PAGES;
        }
        singleCount--;
        return true;
    }

    /**
     * p2m_pod_set_cache_target: grows the cache with 2 MiB allocations while at least 512 pages are missing (falling
     * back to 4 KiB), or shrinks it, freeing pages to the host. Returns 0 or -ENOMEM.
     */
    long setCacheTarget(long podTarget) { return setCacheTarget(podTarget, null); }

    /** The value {@link #setMemTarget} returns when it stopped to let others run (Xen's -ERESTART, internal). */
    public static final long RESTART = -85;

    /**
     * As Xen's {@code p2m_pod_set_cache_target(.., preemptible)}: while growing, between two allocations, stops with
     * {@link #RESTART} when {@code preempt} says so (the caller re-issues the whole call, which continues from the
     * cache size reached).
     */
    long setCacheTarget(long podTarget, java.util.function.BooleanSupplier preempt) {
        while (podTarget > count()) {
            int order = podTarget - count() >= MemConstants.SUPERPAGE_PAGES ? MemConstants.SUPERPAGE_ORDER : 0;
            if (!pm.assign(1L << order)) {
                if (order == 0 || !pm.assign(1)) {
                    log.warn("d{}: unable to allocate page for PoD cache (target={} cache={})",
                            pm.domain().domid(), podTarget, count());
                    return -XenErrno.ENOMEM;
                }
                order = 0;
            }
            cacheAdd(order);
            // as Xen: after each allocation (so every part makes progress), yield if asked to
            if (podTarget > count() && preempt != null && preempt.getAsBoolean()) return RESTART;
        }
        while (podTarget < count()) {
            int order = count() - podTarget > MemConstants.SUPERPAGE_PAGES && superCount > 0
                    ? MemConstants.SUPERPAGE_ORDER : 0;
            cacheGet(order);
            pm.host().free(1L << order);
        }
        return 0;
    }

    /**
     * p2m_pod_set_mem_target (XENMEM_set_pod_target): sizes the cache for {@code target} pages of tot_pages. Never
     * shrinks the cache; does nothing when P == B, when dying, or when target &lt; tot_pages.
     */
    public long setMemTarget(long target) { return setMemTarget(target, null); }

    /** As {@link #setMemTarget(long)}, preemptible: may return {@link #RESTART} (then call again with the same target). */
    public long setMemTarget(long target, java.util.function.BooleanSupplier preempt) {
        long populated = pm.totPages() - count();
        if (populated > 0 && entryCount == 0) return 0;
        if (pm.dying()) return 0;
        if (target < pm.totPages()) return 0;
        long podTarget = target - populated;
        if (populated > 0 && podTarget > entryCount) podTarget = entryCount;
        return setCacheTarget(podTarget, preempt);
    }

    // ---- marking ------------------------------------------------------------------------------------------------

    /**
     * guest_physmap_mark_populate_on_demand: makes [gfn, gfn + 2^order) PoD. -EBUSY if any gfn is RAM (including the
     * paging types), -EINVAL if the range leaves the gfn space or is misaligned.
     * The range becomes one PoD extent of the shared view (PROTOCOL §3.3), so the cost is that of the gfns in it that
     * have an explicit entry, not of its size; only when the view's extent table is full are the gfns' entries
     * written one by one.
     */
    long markPopulateOnDemand(long gfn, int order) {
        long n = 1L << order, end = gfn + n;
        P2m p2m = pm.p2m();
        if ((gfn & (n - 1)) != 0 || gfn < 0 || !p2m.contains(end - 1)) return -XenErrno.EINVAL;
        long explicitPod = 0, explicitInExtent = 0;
        for (long g = p2m.nextExplicit(gfn, end); g >= 0; g = p2m.nextExplicit(g + 1, end)) {
            int t = p2m.type(g);
            if (P2mType.isRam(t)) return -XenErrno.EBUSY;
            if (t == P2mType.POPULATE_ON_DEMAND) explicitPod++;
            if (p2m.inPodExtent(g)) explicitInExtent++;
        }
        // PoD entries already present: explicit ones, and unset ones an extent already holds
        long already = explicitPod + p2m.podExtentCovered(gfn, end) - explicitInExtent;
        if (p2m.addPodExtent(gfn, end)) {
            // the extent decides for unset entries; explicit ones (invalid, mmio, ...) are made PoD themselves
            for (long g = p2m.nextExplicit(gfn, end); g >= 0; g = p2m.nextExplicit(g + 1, end))
                p2m.setType(g, P2mType.POPULATE_ON_DEMAND);
        } else {
            stats.markedPerGfn += n;
            for (long g = gfn; g < end; g++) p2m.setType(g, P2mType.POPULATE_ON_DEMAND);
        }
        pm.noteMapped(end - 1);
        entryCount += n - already;
        return 0;
    }

    // ---- demand populate ------------------------------------------------------------------------------------------

    /**
     * p2m_pod_demand_populate for a 4 KiB PoD gfn (a guest fault or a hypervisor access with P2M_ALLOC). On success the
     * gfn is ram_rw with a zero frame; false when the domain is dying or out of PoD memory (then it has crashed).
     */
    public boolean demandPopulate(long gfn) {
        if (pm.dying()) return false;
        P2m p2m = pm.p2m();
        if (p2m.type(gfn) != P2mType.POPULATE_ON_DEMAND) return p2m.type(gfn) == P2mType.RAM_RW;
        if (entryCount > count()) eagerReclaim();
        if (count() == 0) emergencySweep();
        if (count() == 0) {
            String reason = "Dom" + pm.domain().domid() + " out of PoD memory!";
            log.error("p2m_pod_demand_populate: {} (tot={} ents={} gfn={})", reason, pm.totPages(), entryCount, gfn);
            pm.crash(reason);
            return false;
        }
        cacheGet(0);
        pm.attachFrame(gfn);
        p2m.setType(gfn, P2mType.RAM_RW);
        entryCount--;
        if (entryCount < 0) throw new IllegalStateException("pod entry_count below zero");
        if (gfn > maxGuest) maxGuest = gfn;
        mrp[mrpIdx] = gfn;
        mrpIdx = (mrpIdx + 1) % MRP_ENTRIES;
        stats.populated++;
        return true;
    }

    /** pod_eager_reclaim: zero-check the oldest ring entry; keep going while the cache is empty (at most 32). */
    void eagerReclaim() {
        int i = 0;
        do {
            int idx = (mrpIdx + i++) % MRP_ENTRIES;
            long g = mrp[idx];
            if (g != INVALID_GFN) {
                zeroCheck(g);
                mrp[idx] = INVALID_GFN;
            }
        } while (count() == 0 && i < MRP_ENTRIES);
    }

    /**
     * p2m_pod_emergency_sweep: scans downward from {@code reclaimSingle} (max_guest when 0), zero-checking RAM gfns
     * in batches of {@link #SWEEP_STRIDE}, and stops once more than {@link #SWEEP_LIMIT} gfns below its start with
     * either a non-empty cache or a pending preemption (XSA-150). The emulated pCPU reports preemption pending once a
     * sweep has visited {@link #sweepBudget()} gfns, so one sweep visits at most max(SWEEP_LIMIT + 2, budget) gfns
     * and never walks the whole guest; the next sweep resumes where it stopped ({@code reclaim_single}).
     */
    void emergencySweep() {
        if (reclaimSingle == 0) reclaimSingle = maxGuest;
        long start = reclaimSingle;
        long limit = start > SWEEP_LIMIT ? start - SWEEP_LIMIT : 0;
        long[] batch = new long[SWEEP_STRIDE];
        int j = 0;
        long visited = 0;
        long i;
        P2m p2m = pm.p2m();
        for (i = start; i > 0; i--) {
            visited++;
            boolean preempt = visited >= sweepBudget;
            if (P2mType.isRam(p2m.type(i))) {
                batch[j++] = i;
                if (j == SWEEP_STRIDE) {
                    for (long g : batch) zeroCheck(g);
                    j = 0;
                }
            }
            if (i < limit && (count() > 0 || preempt)) break;
        }
        for (int k = 0; k < j; k++) zeroCheck(batch[k]);
        reclaimSingle = i > 0 ? i - 1 : i;
        stats.sweeps++;
        stats.sweepVisited += visited;
        stats.sweepMaxVisited = Math.max(stats.sweepMaxVisited, visited);
    }

    /** Gfns one emergency sweep may visit before preemption counts as pending. */
    public int sweepBudget() { return sweepBudget; }

    public void sweepBudget(int gfns) {
        if (gfns < 1) throw new IllegalArgumentException("sweep budget must be positive");
        sweepBudget = gfns;
    }

    /**
     * p2m_pod_zero_check for one gfn: a ram_rw frame whose first 128 bytes are zero is switched to PoD by CAS (which
     * fails if a guest access is in flight), then scanned whole; all zero → its page goes into the cache
     * (entry_count + 1), otherwise the mapping is restored. Returns true if the page was reclaimed.
     */
    boolean zeroCheck(long gfn) {
        P2m p2m = pm.p2m();
        if (!p2m.contains(gfn) || !pm.backed(gfn)) return false;
        if (!p2m.ramIdle(gfn)) {
            if (p2m.type(gfn) == P2mType.RAM_RW) stats.reclaimRaced++;
            return false;
        }
        stats.zeroChecks++;
        GuestMemoryFile file = pm.file();
        if (!file.quickZero(gfn)) return false;
        if (!p2m.takeFromGuest(gfn, P2mType.POPULATE_ON_DEMAND)) {
            stats.reclaimRaced++;
            return false;
        }
        if (!file.isZero(gfn)) {
            p2m.casType(gfn, P2mType.POPULATE_ON_DEMAND, P2mType.RAM_RW);
            return false;
        }
        pm.detachFrame(gfn);
        cacheAdd(0);
        entryCount++;
        stats.zeroReclaimed++;
        return true;
    }

    // ---- decrease_reservation ------------------------------------------------------------------------------------

    /**
     * p2m_pod_decrease_reservation: PoD gfns in the extent become invalid (entry_count decreases); while
     * entry_count &gt; count, RAM pages are moved into the cache instead of being freed. Returns the pages handled.
     */
    long decreaseReservation(long gfn, int order) {
        if (entryCount == 0 || pm.dying()) return 0;
        long n = 1L << order;
        if (gfn < 0 || gfn + n < 0) return 0;
        P2m p2m = pm.p2m();
        boolean steal = entryCount > count();
        long pod = 0, nonpod = 0, ram = 0;
        for (long g = gfn; g < gfn + n; g++) {
            int t = p2m.type(g);
            if (t == P2mType.POPULATE_ON_DEMAND) pod++;
            else {
                nonpod++;
                if (P2mType.isRam(t)) ram++;
            }
        }
        if (pod == 0 && !steal) return 0;
        long ret = 0;
        if (nonpod == 0 && pod == n) {
            for (long g = gfn; g < gfn + n; g++) p2m.setType(g, P2mType.INVALID);
            entryCount -= n;
            ret = n;
        } else {
            for (long g = gfn; g < gfn + n && (pod > 0 || (steal && ram > 0)); g++) {
                int t = p2m.type(g);
                if (t == P2mType.POPULATE_ON_DEMAND) {
                    p2m.setType(g, P2mType.INVALID);
                    entryCount--;
                    pod--;
                    ret++;
                } else if (steal && P2mType.isRam(t)) {
                    ram--;
                    if (t != P2mType.RAM_RW || !pm.backed(g)) continue;
                    p2m.setType(g, P2mType.INVALID);
                    pm.detachFrame(g);
                    cacheAdd(0);
                    stats.stolen++;
                    steal = entryCount > count();
                    ret++;
                }
            }
        }
        if (entryCount < count()) setCacheTarget(entryCount);
        return ret;
    }

    @Override public String toString() {
        return "pod[count=" + count() + " (super " + superCount + ", single " + singleCount + ") entries=" + entryCount
                + " maxGuest=" + maxGuest + " reclaimSingle=" + reclaimSingle + " " + stats + "]";
    }
}
