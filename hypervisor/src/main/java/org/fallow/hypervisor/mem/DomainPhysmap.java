package org.fallow.hypervisor.mem;

import org.fallow.abi.wire.P2mHeader;

import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.DomainMemory;
import org.fallow.hypervisor.core.HostMemory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_CDF_hvm;

/**
 * One domain's memory: its p2m ({@link P2m}, shared with the guest), its frames ({@link GuestMemoryFile}), its
 * populate-on-demand state ({@link Pod}) and Xen's page accounting:
 * <pre>
 *   tot_pages = populated (gfns backed by a host frame) + pod.count (PoD cache) + extra (allocated, not in the p2m:
 *               persistent tmem pages, HVM increase_reservation pages, frames orphaned by populate over RAM)
 * </pre>
 * Every page counted in tot_pages holds one {@link HostMemory} page. Allocations fail when tot_pages would exceed
 * max_pages (Xen's assign_pages "over-allocation"), when the domain is dying, or when the host has no page.
 * All methods run on the hypervisor's dispatch thread.
 */
public final class DomainPhysmap implements DomainMemory {
    private static final Logger log = LoggerFactory.getLogger(DomainPhysmap.class);

    private final Domain domain;
    private final HostMemory host;
    private final P2m p2m;
    private final GuestMemoryFile file;
    private final BitSet backed = new BitSet();
    private final PinnedFrames pinned = new PinnedFrames();
    /** gfns whose storage a vm_event ring holds (Xen's own page reference): never punched while held. */
    private final java.util.Set<Long> heldStorage = new java.util.HashSet<>();
    private final Pod pod;
    private final Map<Integer, Long> hvmParams = new HashMap<>();
    private final int createFlags;
    private final int ssidref;
    private Consumer<Runnable> afterHypercall = Runnable::run;
    private Consumer<String> crasher = reason -> {};
    private long maxPages;
    private long populated;
    private long extra;
    private long pagedPages;
    private long maxMappedPfn;
    private int pauseCount = 1;
    private boolean released;
    private PagingHook pagingHook;

    DomainPhysmap(Domain domain, HostMemory host, Path runDir, int createFlags, int ssidref) throws IOException {
        this.domain = domain;
        this.host = host;
        this.createFlags = createFlags;
        this.ssidref = ssidref;
        this.file = GuestMemoryFile.create(runDir.resolve("dom" + domain.domid() + ".mem"), 0);
        try {
            this.p2m = P2m.create(runDir.resolve("dom" + domain.domid() + ".p2m"), 0);
        } catch (IOException e) {
            file.closeAndDelete();
            throw e;
        }
        this.pod = new Pod(this);
    }

    public Domain domain() { return domain; }

    public P2m p2m() { return p2m; }

    public GuestMemoryFile file() { return file; }

    public Pod pod() { return pod; }

    public HostMemory host() { return host; }

    public int createFlags() { return createFlags; }

    public int ssidref() { return ssidref; }

    public boolean hvm() { return (createFlags & XEN_DOMCTL_CDF_hvm) != 0; }

    /** Guest-physical frames of the memory files (the gfn space). */
    @Override public long nrFrames() { return p2m.nrFrames(); }

    // ---- accounting ------------------------------------------------------------------------------------------

    @Override public long maxPages() { return maxPages; }

    /** The largest gfn space a domain gets (64 GiB of guest-physical memory; the p2m file is then 64 MiB). */
    public static final long MAX_FRAMES = 1L << 24;

    /**
     * XEN_DOMCTL_max_mem: sets max_pages and grows the gfn space (files) to cover it, up to {@link #MAX_FRAMES}.
     * Never shrinks the files.
     */
    public void maxPages(long pages) throws IOException {
        maxPages = pages;
        long frames = Math.min(pages, MAX_FRAMES);
        if (frames > nrFrames() && !released) {
            file.grow(frames);
            p2m.grow(frames);
        }
    }

    @Override public long totPages() { return populated + extra + pod.count(); }

    /** Gfns backed by a host frame (ram_rw, and paging_out/paging_in before eviction). */
    public long populatedPages() { return populated; }

    public long extraPages() { return extra; }

    public long pagedPages() { return pagedPages; }

    /** Adjusts d->paged_pages (the paging subsystem's evict: +1, prep of a paged gfn: -1). */
    public void pagedPagesAdd(long delta) { pagedPages += delta; }

    /** p2m->max_mapped_pfn: the highest gfn ever given a type other than invalid (XENMEM_maximum_gpfn). */
    public long maxMappedPfn() { return maxMappedPfn; }

    void noteMapped(long gfn) { if (gfn > maxMappedPfn) maxMappedPfn = gfn; }

    public boolean dying() { return released || domain.dying(); }

    /** Takes {@code n} host pages for the domain if tot_pages + n ≤ max_pages; the caller books them in a counter. */
    boolean assign(long n) {
        if (dying()) return false;
        if (totPages() + n > maxPages) {
            log.debug("d{}: over-allocation: tot {} + {} > max {}", domain.domid(), totPages(), n, maxPages);
            return false;
        }
        return host.allocate(n);
    }

    @Override public boolean allocateExtra(long n) {
        if (n < 0) throw new IllegalArgumentException("negative allocation " + n);
        if (!assign(n)) return false;
        extra += n;
        return true;
    }

    @Override public void releaseExtra(long n) {
        if (released) return;
        if (n < 0 || n > extra) throw new IllegalStateException("d" + domain.domid() + ": release " + n + " extra of " + extra);
        extra -= n;
        host.free(n);
    }

    @Override public boolean stealExtra(long n) {
        if (released) {
            releaseExtra(n); // the domain's memory is gone already: nothing to steal (and nothing to free twice)
            return false;
        }
        if (n < 0 || n > extra) throw new IllegalStateException("d" + domain.domid() + ": steal " + n + " extra of " + extra);
        extra -= n;
        return true;
    }

    /** Books {@code n} more extra pages that were already assigned (increase_reservation on an HVM domain). */
    void addExtraAssigned(long n) { extra += n; }

    // ---- frames -------------------------------------------------------------------------------------------------

    public boolean backed(long gfn) { return gfn >= 0 && gfn < Integer.MAX_VALUE && backed.get((int) gfn); }

    /** Gives {@code gfn} a fresh zero frame that is already counted (assigned or taken from the PoD cache). */
    void attachFrame(long gfn) {
        if (backed(gfn)) throw new IllegalStateException("d" + domain.domid() + ": gfn " + gfn + " already backed");
        if (!heldStorage.contains(gfn)) file.punch(gfn, 1);
        backed.set((int) gfn);
        populated++;
        noteMapped(gfn);
    }

    /** Removes {@code gfn}'s frame, zeroing its storage; the page stays counted until the caller moves it. */
    void detachFrame(long gfn) {
        if (!backed(gfn)) throw new IllegalStateException("d" + domain.domid() + ": gfn " + gfn + " not backed");
        backed.clear((int) gfn);
        populated--;
        if (!heldStorage.contains(gfn)) file.punch(gfn, 1);
    }

    /**
     * A vm_event ring enabled by a 4.17 connection lives in {@code gfn}'s frame of the memory file (as in Xen, where
     * the ring page keeps Xen's reference after the pager's decrease_reservation). While held, removing the gfn from
     * the physmap does not punch its storage; a re-populate of the gfn finds the ring there (docs/DEVIATIONS.md).
     * Releasing the hold punches the storage if the gfn is no longer backed.
     */
    public void holdStorage(long gfn, boolean hold) {
        if (hold) {
            heldStorage.add(gfn);
        } else if (heldStorage.remove(gfn) && !released && !backed(gfn) && file.contains(gfn)) {
            file.punch(gfn, 1);
        }
    }

    /**
     * Paging API (prep): allocates a host page to back {@code gfn} (tot_pages + 1). False when over max_pages or the
     * host is out of memory. The p2m type is the caller's to change.
     */
    public boolean allocateFrame(long gfn) {
        if (!assign(1)) return false;
        attachFrame(gfn);
        return true;
    }

    /** Paging API (evict): frees {@code gfn}'s frame to the host (tot_pages - 1), punching its storage. */
    public void releaseFrame(long gfn) {
        detachFrame(gfn);
        host.free(1);
    }

    // ---- guest access -------------------------------------------------------------------------------------------

    /** The vCPU a guest's hypercall runs on, as far as paging is concerned (HYPERCALL frames name none). */
    public static final int HYPERCALL_VCPU = 0;

    /**
     * Makes {@code gfn} accessible RAM for a hypervisor access and pins it (an in-flight count, released after the
     * current hypercall) so PoD reclaim and paging nominate leave it alone. False if it cannot be RAM now.
     * {@code guestCopy}: the access is a copy_from/to_guest of the guest's own hypercall, which on a paged-out gfn
     * starts a page-in that pauses the guest's vCPU (Xen's hvm_translate_get_page); otherwise (tmem's cmfn,
     * get_page_from_gfn) a paging-state gfn just fails, and nothing is sent to the pager.
     */
    boolean pinRam(long gfn, boolean guestCopy) {
        if (!p2m.contains(gfn)) return false;
        int t = p2m.type(gfn);
        if (t == P2mType.POPULATE_ON_DEMAND) {
            if (!pod.demandPopulate(gfn)) return false;
            t = p2m.type(gfn);
        } else if (P2mType.isPaging(t)) {
            if (guestCopy && pagingHook != null) pagingHook.guestCopy(domain, gfn, t, HYPERCALL_VCPU);
            return false;
        }
        if (t != P2mType.RAM_RW) return false;
        if (pinned.add(gfn)) {
            p2m.addInflight(gfn, 1);
            if (pinned.size() == 1) afterHypercall.accept(this::unpinAll);
        }
        return true;
    }

    /** Releases the pins of the hypercall that just finished (each gfn is pinned once per hypercall). */
    private void unpinAll() {
        if (!released) pinned.forEach(g -> p2m.addInflight(g, -1));
        pinned.clear();
    }

    @Override public MemorySegment ramFrame(long gfn) {
        if (dying() || !pinRam(gfn, false)) return null;
        return file.frame(gfn);
    }

    /** How pins are released once the running hypercall is over (the dispatch executor; inline when unset). */
    void afterHypercall(Consumer<Runnable> deferrer) { this.afterHypercall = deferrer; }

    // ---- life cycle -------------------------------------------------------------------------------------------

    public int pauseCount() { return pauseCount; }

    void pauseCount(int n) { pauseCount = n; }

    /** HVM params (HVMOP_set_param / get_param), e.g. {@link MemConstants#HVM_PARAM_PAGING_RING_PFN}. */
    public long hvmParam(int index) { return hvmParams.getOrDefault(index, 0L); }

    public void hvmParam(int index, long value) { hvmParams.put(index, value); }

    /** Crashes the domain (DomainTable.crash), e.g. "Dom5 out of PoD memory!". */
    void crash(String reason) { crasher.accept(reason); }

    void crasher(Consumer<String> c) { crasher = c; }

    public PagingHook pagingHook() { return pagingHook; }

    /** Installs (or with null removes) the paging subsystem's hook for paging-type gfns. */
    public void pagingHook(PagingHook hook) { pagingHook = hook; }

    /** Frees every page the domain holds and removes its memory files (domain destruction). Idempotent. */
    void release() {
        if (released) return;
        long pages = totPages();
        released = true;
        host.free(pages);
        populated = 0;
        extra = 0;
        pod.clear();
        backed.clear();
        p2m.domainState(P2mHeader.STATE_DYING);
        p2m.closeAndDelete();
        file.closeAndDelete();
        log.info("d{}: memory released ({} pages back to the host)", domain.domid(), pages);
    }

    public boolean released() { return released; }

    @Override public String toString() {
        return "d" + domain.domid() + " tot=" + totPages() + " max=" + maxPages + " populated=" + populated
                + " extra=" + extra + " pod.count=" + pod.count() + " pod.entries=" + pod.entryCount()
                + " paged=" + pagedPages;
    }
}
