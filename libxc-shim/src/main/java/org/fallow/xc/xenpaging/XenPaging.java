package org.fallow.xc.xenpaging;

import org.fallow.abi.xen.P2mType;
import org.fallow.abi.xen.VmEventConstants;
import org.fallow.abi.XenErrno;
import org.fallow.abi.ring.BackRing;
import org.fallow.abi.xen.VmEventRequest;
import org.fallow.abi.ring.SharedRing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.fallow.abi.xen.HvmOpConstants.HVM_PARAM_PAGING_RING_PFN;

/**
 * The xenpaging daemon (tools/xenpaging, 4.12): pages a domain down to the target in
 * {@code /local/domain/<D>/memory/target-tot_pages} (KiB) through the vm_event ring and XENMEM_paging_op, pages
 * frames back in when the guest touches them, and pages everything back in on SIGTERM/SIGINT ({@link #requestShutdown}).
 * Deviations (docs/DEVIATIONS.md ## paging): responses carry version 4 and reason 3; target page-ins are done with
 * prep directly instead of a thread mapping foreign pages; the pagefile's slot index survives a kill so a restarted
 * pager recovers the pages the dead one held.
 */
public final class XenPaging {
    private static final Logger log = LoggerFactory.getLogger(XenPaging.class);
    /** Evictions per round at most (keeps page-in latency bounded). */
    public static final int EVICT_BATCH = 42;
    /** XENPAGING_PAGEIN_QUEUE_SIZE. */
    public static final int PAGEIN_BATCH = 64;
    public static final long POLL_TIMEOUT_MS = 100;
    /** Paging ops per batch (one multicall over the wire). */
    public static final int BATCH = 64;
    /** p2m types (Xen 4.12 numbering) as {@link PagingHost#p2mType} decodes them from the shared view. */
    private static final int P2M_RAM_RW = P2mType.P2M_RAM_RW, P2M_PAGING_OUT = P2mType.P2M_RAM_PAGING_OUT,
            P2M_PAGED = P2mType.P2M_RAM_PAGED, P2M_PAGING_IN = P2mType.P2M_RAM_PAGING_IN;

    private final PagingHost host;
    private final XenPagingOptions opt;
    private final int domid;
    private final Semaphore wakeups = new Semaphore(0);
    private final MemorySegment buffer = Arena.ofAuto().allocate(4096, 4096);
    private final MemorySegment[] pageBuffers = new MemorySegment[BATCH];
    private final MemorySegment entry;
    private final VmEventRequest req = new VmEventRequest();
    private final VmEventRequest rsp = new VmEventRequest();

    private long maxPages;
    private int port;
    private BackRing back;
    private PageFile pagefile;
    private VictimPolicy policy;
    private BitSet pagedOut;
    private volatile long numPagedOut;
    private volatile long targetTotPages; // 0 until the key is written: nothing is paged out
    private volatile boolean shutdown;
    private volatile boolean interrupted;
    private volatile boolean targetChanged;
    private boolean domainGone;
    private long pageinCursor;
    private long lastFlushRequest = -1;
    private long pagedOutTotal, pagedInTotal, requestsHandled;
    private volatile long pollWaits;

    public XenPaging(PagingHost host, XenPagingOptions opt) {
        this.host = host;
        this.opt = opt;
        this.domid = opt.domid();
        this.entry = Arena.ofAuto().allocate(VmEventRequest.entrySize(opt.vmEventVersion()), 8);
        MemorySegment pages = Arena.ofAuto().allocate((long) BATCH * 4096, 4096);
        for (int i = 0; i < BATCH; i++) pageBuffers[i] = pages.asSlice(4096L * i, 4096);
    }

    public String targetKey() { return "/local/domain/" + domid + "/memory/target-tot_pages"; }

    /** SIGTERM/SIGINT: page everything back in, then exit 0. */
    public void requestShutdown() {
        interrupted = true;
        wakeups.release();
    }

    /** SIGHUP / domain gone: exit at once, leaving pages out. */
    public void requestQuit() {
        shutdown = true;
        wakeups.release();
    }

    /** Pages now out (read from any thread: a benchmark or test polls it). */
    public long numPagedOut() { return numPagedOut; }

    public long maxPages() { return maxPages; }

    /**
     * Loop turns that waited for an event with the {@value #POLL_TIMEOUT_MS} ms poll timeout (the target reached, or
     * no victim found); never between the page-in batches of a raised target or of SIGTERM.
     */
    public long pollWaits() { return pollWaits; }

    /** Exit codes of xenpaging's main: 1 when initialisation fails ("Error initialising paging"), 2 on a later error. */
    public static final int EXIT_INIT_FAILED = 1, EXIT_ERROR = 2;
    /** The largest -m honoured: the hypervisor's gfn space (2^24 frames, 64 GiB). */
    static final long MAX_MANAGED_PAGES = 1L << 24;

    /** Runs the daemon until shutdown; returns the exit code (0 success, 1 initialisation failed, 2 error). */
    public int run() {
        try {
            init();
        } catch (Exception e) {
            log.error("xenpaging d{}: Error initialising paging: {}", domid, e.getMessage());
            teardown(false);
            return EXIT_INIT_FAILED;
        }
        try {
            loop();
            teardown(true);
            log.info("xenpaging d{}: done (paged out {}, paged in {}, requests {})", domid, pagedOutTotal, pagedInTotal, requestsHandled);
            return 0;
        } catch (Exception e) {
            log.error("xenpaging d{}: {}", domid, e.toString(), e);
            teardown(false);
            return 2;
        }
    }

    void init() throws IOException {
        PagingHost.DomainInfo info = host.domainInfo(domid);
        if (info == null) throw new IOException("domain " + domid + " does not exist");
        // xenpaging_init: -m (KiB) replaces the domain's max_pages; only without it is max_pages asked for.
        maxPages = opt.maxMemKb() > 0 ? opt.maxMemKb() >> 2 : info.maxPages();
        if (maxPages <= 0 || maxPages > MAX_MANAGED_PAGES)
            throw new IOException("cannot manage " + maxPages + " pages (-m " + opt.maxMemKb() + " KiB): 1.." + MAX_MANAGED_PAGES);
        long ringGfn = host.hvmParam(domid, HVM_PARAM_PAGING_RING_PFN);
        if (ringGfn <= 0) throw new IOException("HVM_PARAM_PAGING_RING_PFN is not set");
        // "Map" the ring gfn; if it is not there (a previous pager removed it), populate it first.
        boolean populatedRing = false;
        if (host.p2mType(domid, ringGfn) != P2M_RAM_RW) {
            int prc = host.populateOne(domid, ringGfn);
            if (prc < 0) log.debug("populating the ring gfn {}: {}", ringGfn, XenErrno.name(prc));
            populatedRing = prc == 0;
        }
        host.onEvent(p -> wakeups.release());
        int rc = host.pagingEnable(domid);
        // Restarting after a kill: the hypervisor may not have seen the old pager's connection close yet.
        for (int tries = 0; rc == -XenErrno.EBUSY && PageFile.leftBehind(opt.pagefile()) && tries < 100; tries++) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            rc = host.pagingEnable(domid);
        }
        if (rc < 0) {
            if (populatedRing) host.decreaseOne(domid, ringGfn); // give back the page we took for the ring
            String why = switch (-rc) {
                case XenErrno.EBUSY -> "xenpaging is (or was) active on this domain";
                case XenErrno.ENODEV -> "xenpaging requires Hardware Assisted Paging";
                case XenErrno.EMLINK -> "xenpaging not supported while iommu passthrough is enabled";
                case XenErrno.EXDEV -> "xenpaging not supported in a PoD guest";
                default -> "error initialising shared page";
            };
            throw new IOException(why + " (" + XenErrno.name(rc) + ")");
        }
        port = rc;
        SharedRing sring = new SharedRing(host.mapRing(domid), VmEventRequest.entrySize(opt.vmEventVersion()));
        sring.init();
        back = new BackRing(sring);
        if (host.p2mType(domid, ringGfn) == P2M_RAM_RW) {
            rc = host.decreaseOne(domid, ringGfn);
            if (rc < 0) log.warn("could not remove the ring gfn {} from the guest physmap: {}", ringGfn, XenErrno.name(rc));
        }
        policy = new VictimPolicy(maxPages, opt.mruSize());
        pagedOut = new BitSet((int) maxPages);
        if (PageFile.leftBehind(opt.pagefile())) {
            pagefile = PageFile.recover(opt.pagefile(), (int) maxPages);
            recover();
        } else {
            pagefile = PageFile.create(opt.pagefile(), (int) maxPages);
        }
        host.xsWatch(targetKey(), "xenpaging-" + domid, path -> {
            targetChanged = true; // read by the main loop (never from the transport thread)
            wakeups.release();
        });
        readTarget();
        host.notify(port); // show life: the hypervisor places waiting requests on the ring now
        log.info("xenpaging d{}: max_pages {} mru {} port {} target {} pages, {} recovered pages out",
                domid, maxPages, policy.mruSize(), port, targetTotPages, numPagedOut);
    }

    private void readTarget() throws IOException {
        targetChanged = false;
        String v = host.xsRead(targetKey());
        if (v != null) targetTotPages = parseTarget(v);
    }

    private long parseTarget(String v) {
        long pages;
        try {
            pages = v == null ? 0 : Long.parseLong(v.trim()) >> 2;
        } catch (NumberFormatException e) {
            log.warn("bad target-tot_pages '{}'", v);
            return targetTotPages;
        }
        if (pages < 0 || pages > maxPages) pages = maxPages;
        policy.clearPollTimeout();
        return pages;
    }

    /** Decides, for every slot a killed pager left, whether its gfn is still out (Fallow's restart path). */
    private void recover() throws IOException {
        int kept = 0, restored = 0, stale = 0;
        for (long[] gs : pagefile.recovered()) {
            long gfn = gs[0];
            int slot = (int) gs[1];
            int t = host.p2mType(domid, gfn);
            boolean out = false;
            if (t == P2M_PAGED) {
                out = true;
            } else if (t == P2M_PAGING_OUT) {
                out = host.evict(domid, gfn) == 0; // nominated and written, not evicted yet
            } else if (t == P2M_PAGING_IN) {
                pagefile.read(slot, buffer);
                if (host.load(domid, gfn, buffer) == 0) restored++;
            }
            if (out) {
                pagedOut.set((int) gfn);
                numPagedOut++;
                policy.notifyPagedOut(gfn);
                kept++;
            } else {
                if (t != P2M_PAGING_IN) stale++;
                pagefile.free(slot);
            }
        }
        log.info("xenpaging d{}: recovered pagefile: {} pages still out, {} paged back in, {} stale slots", domid, kept, restored, stale);
    }

    private void loop() throws IOException, InterruptedException {
        while (!shutdown) {
            long timeout = policy.usePollTimeout() ? POLL_TIMEOUT_MS : 0;
            if (timeout > 0) {
                pollWaits++;
                wakeups.tryAcquire(timeout, TimeUnit.MILLISECONDS);
            }
            wakeups.drainPermits();
            if (targetChanged) readTarget();
            drainRequests();
            PagingHost.DomainInfo info = host.domainInfo(domid);
            if (info == null || info.dying()) {
                log.info("xenpaging d{}: domain is gone", domid);
                domainGone = true;
                return;
            }
            if (interrupted) {
                if (numPagedOut == 0) return;
                policy.clearPollTimeout(); // no 100 ms wait between batches while there is work (as for a raised target)
                pageIn(PAGEIN_BATCH);
                continue;
            }
            long target = targetTotPages;
            long tot = info.totPages();
            if (target == 0) {
                if (numPagedOut > 0) {
                    policy.clearPollTimeout();
                    pageIn(PAGEIN_BATCH);
                } else policy.usePollTimeoutOn();
            } else if (tot > target) {
                long diff = tot - target;
                if (diff > EVICT_BATCH) policy.clearPollTimeout();
                evictPages((int) Math.min(diff, EVICT_BATCH));
            } else if (tot < target && numPagedOut > 0) {
                pageIn((int) Math.min(target - tot, PAGEIN_BATCH));
            } else {
                policy.usePollTimeoutOn();
            }
        }
    }

    /**
     * Pages out {@code n} victims: the policy's choices are nominated as one batch, the nominated frames written to
     * the pagefile, then evicted as one batch; victims refused (nominate or evict -EBUSY) are replaced by further
     * choices, as xenpaging's evict_victim retries. With no victim left, asks the device model to flush its cache.
     */
    private void evictPages(int n) throws IOException {
        int done = 0;
        while (done < n) {
            int want = Math.min(n - done, BATCH);
            long[] victims = new long[want];
            int k = 0;
            while (k < want) {
                long g = policy.chooseVictim();
                if (g == VictimPolicy.INVALID) break;
                victims[k++] = g;
            }
            if (k == 0) {
                requestFlushCache();
                return;
            }
            victims = java.util.Arrays.copyOf(victims, k);
            int[] nominated = host.nominateAll(domid, victims);
            long[] written = new long[k];
            int[] slots = new int[k];
            int w = 0;
            for (int i = 0; i < k; i++) {
                if (nominated[i] != 0) continue; // busy (in use, not RAM, ...): the next choice replaces it
                int slot = pagefile.allocateSlot();
                if (slot < 0) throw new IOException("pagefile full");
                pagefile.write(slot, victims[i], host.guestFrame(domid, victims[i]));
                written[w] = victims[i];
                slots[w++] = slot;
            }
            int[] evicted = host.evictAll(domid, java.util.Arrays.copyOf(written, w));
            for (int i = 0; i < w; i++) {
                if (evicted[i] != 0) { // the guest touched it after nomination
                    pagefile.free(slots[i]);
                    continue;
                }
                pagedOut.set((int) written[i]);
                numPagedOut++;
                pagedOutTotal++;
                policy.notifyPagedOut(written[i]);
                done++;
            }
        }
    }

    private void requestFlushCache() {
        if (lastFlushRequest == numPagedOut) return;
        lastFlushRequest = numPagedOut;
        try {
            host.xsWrite("/local/domain/0/device-model/" + domid + "/command", "flush-cache");
        } catch (IOException e) {
            log.debug("flush-cache request failed: {}", e.getMessage());
        }
    }

    /** Pages up to {@code n} paged-out gfns back in from the pagefile, in batches (target raised, or shutting down). */
    private void pageIn(int n) throws IOException {
        while (n > 0 && numPagedOut > 0) {
            int want = (int) Math.min(Math.min(n, BATCH), numPagedOut);
            long[] gfns = new long[want];
            int k = 0;
            while (k < want) {
                int g = pagedOut.nextSetBit((int) pageinCursor);
                if (g < 0) g = pagedOut.nextSetBit(0);
                if (g < 0) break;
                pageinCursor = g + 1;
                if (k > 0 && gfns[0] == g) break; // wrapped around: fewer out than wanted
                gfns[k] = g;
                pagefile.read(pagefile.gfnToSlot(g), pageBuffers[k]);
                k++;
            }
            if (k == 0) return;
            gfns = java.util.Arrays.copyOf(gfns, k);
            int[] rcs = host.loadAll(domid, gfns, java.util.Arrays.copyOf(pageBuffers, k));
            for (int i = 0; i < k; i++) {
                int rc = rcs[i];
                if (rc == -XenErrno.ENOMEM) {
                    pagefile.read(pagefile.gfnToSlot(gfns[i]), buffer);
                    rc = loadWithRetry(gfns[i]);
                }
                // -ENOENT: the gfn is no longer paged (dropped): its copy is simply freed
                if (rc != 0 && rc != -XenErrno.ENOENT) throw new IOException("paging in gfn " + gfns[i] + ": " + XenErrno.name(rc));
                pageInDone(gfns[i]);
            }
            n -= k;
        }
    }

    private void pageInDone(long gfn) {
        int slot = pagefile.gfnToSlot(gfn);
        pagedOut.clear((int) gfn);
        policy.notifyPagedIn(gfn, numPagedOut > policy.mruSize());
        numPagedOut--;
        pagedInTotal++;
        pagefile.free(slot);
    }

    private int loadWithRetry(long gfn) throws IOException {
        for (;;) {
            int rc = host.load(domid, gfn, buffer);
            if (rc != -XenErrno.ENOMEM) return rc;
            log.warn("xenpaging d{}: no memory to page in gfn {}, retrying in 1 s", domid, gfn);
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return rc;
            }
        }
    }

    private void drainRequests() throws IOException {
        int responses = 0;
        do {
            while (back.takeRequest(entry)) {
                req.wrap(entry);
                requestsHandled++;
                long gfn = req.gfn();
                if (gfn < 0 || gfn >= maxPages) throw new IOException("request for gfn " + gfn + " beyond max_pages " + maxPages);
                boolean respond;
                boolean notifyPolicy = false;
                if (pagedOut.get((int) gfn)) {
                    pagedOut.clear((int) gfn);
                    int slot = pagefile.gfnToSlot(gfn);
                    if ((req.pagingFlags() & VmEventConstants.MEM_PAGING_DROP_PAGE) != 0) {
                        policy.notifyDropped(gfn);
                    } else {
                        pagefile.read(slot, buffer);
                        int rc = loadWithRetry(gfn);
                        if (rc != 0) log.warn("xenpaging d{}: prep of gfn {} failed: {}", domid, gfn, XenErrno.name(rc));
                        pagedInTotal++;
                    }
                    pagefile.free(slot);
                    respond = true;
                    notifyPolicy = true;
                } else {
                    respond = (req.flags() & VmEventConstants.VM_EVENT_FLAG_VCPU_PAUSED) != 0
                            || (req.pagingFlags() & VmEventConstants.MEM_PAGING_EVICT_FAIL) != 0;
                }
                if (respond) {
                    putResponse(gfn);
                    responses++;
                    if (notifyPolicy) {
                        policy.notifyPagedIn(gfn, numPagedOut > policy.mruSize());
                        numPagedOut--;
                    }
                }
            }
            back.consumedRequests();
        } while (back.hasUnconsumedRequests());
        if (responses > 0) {
            back.pushResponses();
            host.notify(port);
        }
    }

    /** Answers the request in {@code req} on the ring (crash point {@code pager.before-response}: after the page-in). */
    private void putResponse(long gfn) {
        rsp.wrap(back.nextResponse()).clear().version(opt.vmEventVersion())
                .reason(VmEventConstants.VM_EVENT_REASON_MEM_PAGING).vcpuId(req.vcpuId()).flags(req.flags())
                .gfn(gfn).pagingFlags(req.pagingFlags());
        back.commitResponse();
    }

    private void teardown(boolean clean) {
        try {
            if (port > 0 && !domainGone) host.pagingDisable(domid);
        } catch (IOException e) {
            log.warn("xc_mem_paging_disable: {}", e.getMessage());
        }
        if (pagefile != null) {
            try {
                if (clean && (numPagedOut == 0 || domainGone)) pagefile.unlink(); // nothing left to recover
                else if (numPagedOut > 0) log.warn("xenpaging d{}: {} pages still paged out: keeping {} for a restarted pager", domid, numPagedOut, pagefile.path());
                pagefile.close();
            } catch (IOException e) {
                log.warn("closing the pagefile: {}", e.getMessage());
            }
        }
    }
}
