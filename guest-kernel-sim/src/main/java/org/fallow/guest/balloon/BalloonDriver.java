package org.fallow.guest.balloon;

import org.fallow.guest.GuestTunables;
import org.fallow.guest.hv.HypercallArgs;
import org.fallow.guest.hv.MemoryOps;
import org.fallow.guest.mm.GuestKernel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * drivers/xen/balloon.c + xen-balloon.c: moves the guest's current_pages toward target_pages in batches of 512
 * single-page extents (populate_physmap to deflate, decrease_reservation to inflate), with Linux's backoff: on EAGAIN
 * the delay doubles (1 → 32 s cap) and after {@code max_retry_count} failures (0 = unlimited) it gives up (ECANCELED)
 * until the target changes. Inflation takes at most si_mem_available() pages per pass (XSA-300) and never swaps.
 * Time is in milliseconds of the guest's clock; {@link #process(long)} runs the worker when it is due.
 */
public final class BalloonDriver {
    private static final Logger log = LoggerFactory.getLogger(BalloonDriver.class);
    static final int BATCHES_PER_PASS = 8;

    private final GuestKernel kernel;
    private final MemoryOps ops;
    private final GuestTunables tunables;
    private final boolean hvm;
    private final long[] frameList = new long[HypercallArgs.EXTENTS_PER_FRAME];

    private long targetPages;
    private boolean firstWatchEvent = true;
    private long staticMaxPages = -1;
    private long scheduleDelaySec = 1;
    private long retryCount = 1;
    private long nextRunMs = -1;
    private BalloonState lastState = BalloonState.DONE;

    private long pagesIncreased, pagesDecreased, hypercalls, eagains, cancels, shortReleases;

    public BalloonDriver(GuestKernel kernel, MemoryOps ops, GuestTunables tunables, boolean hvm) {
        this.kernel = kernel;
        this.ops = ops;
        this.tunables = tunables;
        this.hvm = hvm;
        this.targetPages = kernel.currentPages();
    }

    /** memory/static-max (pages), read once at the first memory/target event (HVM/PVH). */
    public void staticMaxPages(long pages) { staticMaxPages = pages; }

    /** balloon_set_new_target(): stores the target and kicks the worker now. */
    public void setTarget(long pages, long nowMs) {
        targetPages = pages;
        nextRunMs = nowMs;
    }

    /** A {@code memory/target} watch event (KiB). HVM subtracts (static-max − initial target) once, as Linux does. */
    private long targetDiff;

    public void onXenstoreTarget(long kib, long nowMs) {
        long newTarget = kib >> 2;
        if (firstWatchEvent) {
            firstWatchEvent = false;
            long staticMax = staticMaxPages > 0 ? staticMaxPages : newTarget;
            targetDiff = hvm ? staticMax - targetPages : 0;
        }
        setTarget(newTarget - targetDiff, nowMs);
    }

    /**
     * current_credit's target. A target above what the balloon can give back is not clamped here: once the balloon is
     * empty, balloon_process calls reserve_additional_memory, which without memory hotplug resets the target to the
     * current size and cancels (BP_ECANCELED), as Linux v5.2.
     */
    public long currentTarget() { return targetPages; }

    public long targetPages() { return targetPages; }

    /** Runs the worker if it is due; returns true if it did something. */
    public boolean process(long nowMs) {
        if (!tunables.balloon() || nextRunMs < 0 || nowMs < nextRunMs) return false;
        BalloonState state = BalloonState.DONE;
        long credit;
        int batches = 0;
        do {
            credit = currentTarget() - kernel.currentPages();
            if (credit > 0) state = kernel.allocator().balloonedPages() > 0 ? increaseReservation(credit) : reserveAdditionalMemory();
            if (credit < 0) {
                long n = Math.min(-credit, kernel.memAvailable());
                state = decreaseReservation(n);
                if (state == BalloonState.DONE && n < -credit && n < kernel.totalReservePages()) state = BalloonState.EAGAIN;
            }
            state = updateSchedule(state);
            batches++;
        } while (credit != 0 && state == BalloonState.DONE && batches < BATCHES_PER_PASS
                && currentTarget() != kernel.currentPages());
        lastState = state;
        if (state == BalloonState.EAGAIN) {
            eagains++;
            nextRunMs = nowMs + scheduleDelaySec * 1000;
        } else if (state == BalloonState.DONE && currentTarget() != kernel.currentPages()) {
            nextRunMs = nowMs; // more batches: continue on the next pass (Linux yields between batches)
        } else {
            if (state == BalloonState.ECANCELED && !noHotplugCancel) {
                cancels++;
                // Linux gives up silently, and the next selfballoon run (a new target) starts the worker again: say it
                // once until the balloon reaches a target again, not every selfballoon interval
                if (!gaveUpSaid) {
                    giveUpWarnings++;
                    log.warn("balloon: giving up after {} retries (target {} pages, current {}); the hypervisor has no more "
                            + "memory for this domain (its maximum or the host); said once until a target is reached",
                            tunables.maxRetryCount(), targetPages, kernel.currentPages());
                    gaveUpSaid = true;
                } else {
                    log.debug("balloon: giving up again (target {} pages, current {})", targetPages, kernel.currentPages());
                }
            } else if (state == BalloonState.DONE) {
                gaveUpSaid = false;
            }
            noHotplugCancel = false;
            nextRunMs = -1;
        }
        return true;
    }

    /** Set when the last cancel came from reserve_additional_memory rather than from running out of retries. */
    private boolean noHotplugCancel;
    private long targetResets;

    /**
     * reserve_additional_memory without CONFIG_XEN_BALLOON_MEMORY_HOTPLUG: the balloon is empty, so the target is
     * reset to the current size and the worker stops (BP_ECANCELED).
     */
    private BalloonState reserveAdditionalMemory() {
        log.info("balloon: target {} pages is above what was ballooned out; without memory hotplug the target becomes current {}",
                targetPages, kernel.currentPages());
        targetPages = kernel.currentPages();
        targetResets++;
        noHotplugCancel = true;
        return BalloonState.ECANCELED;
    }

    /** Times a target above the ballooned-out memory was reset to the current size. */
    public long targetResets() { return targetResets; }

    /** Whether the worker said it gave up since it last reached a target (it says so once). */
    private boolean gaveUpSaid;
    private long giveUpWarnings;

    /** How many times the worker warned that it gave up (once per run of failures). */
    public long giveUpWarnings() { return giveUpWarnings; }

    private BalloonState updateSchedule(BalloonState state) {
        if (state == BalloonState.ECANCELED) return BalloonState.ECANCELED;
        if (state == BalloonState.DONE) {
            scheduleDelaySec = 1;
            retryCount = 1;
            return BalloonState.DONE;
        }
        ++retryCount;
        if (tunables.maxRetryCount() != 0 && retryCount > tunables.maxRetryCount()) {
            scheduleDelaySec = 1;
            retryCount = 1;
            return BalloonState.ECANCELED;
        }
        scheduleDelaySec = Math.min(scheduleDelaySec << 1, tunables.maxScheduleDelaySec());
        return BalloonState.EAGAIN;
    }

    /** Deflate: repopulate up to one batch of ballooned frames. */
    private BalloonState increaseReservation(long want) {
        int n = (int) Math.min(want, frameList.length);
        int got = 0;
        for (; got < n; got++) {
            int g = kernel.allocator().takeBallooned();
            if (g < 0) break;
            frameList[got] = g;
        }
        if (got == 0) return BalloonState.DONE;
        hypercalls++;
        long rc = ops.populatePhysmap(frameList, got);
        int done = (int) Math.max(0, Math.min(rc, got));
        for (int i = got - 1; i >= done; i--) kernel.allocator().reBalloon((int) frameList[i]);
        if (rc <= 0) return BalloonState.EAGAIN;
        for (int i = 0; i < done; i++) {
            kernel.allocator().balloonIn((int) frameList[i]);
            kernel.allocator().markZero((int) frameList[i]);
        }
        pagesIncreased += done;
        return BalloonState.DONE;
    }

    /** Inflate: take up to one batch of frames from the guest (no OOM, no swap), scrub, and give them back. */
    private BalloonState decreaseReservation(long want) {
        int n = (int) Math.min(want, frameList.length);
        BalloonState state = BalloonState.DONE;
        int got = 0;
        for (; got < n; got++) {
            int g = kernel.allocBalloonFrame();
            if (g < 0) {
                state = BalloonState.EAGAIN;
                break;
            }
            if (tunables.scrubPages() && kernel.allocator().written(g)) {
                kernel.mem().zeroPage(g);
                kernel.allocator().markZero(g);
            }
            frameList[got] = g;
        }
        if (got == 0) return state;
        hypercalls++;
        long rc = ops.decreaseReservation(frameList, got);
        int done = (int) Math.max(0, Math.min(rc, got));
        if (done != got) {
            // Linux BUG()s here; we keep the frames the hypervisor did not take and back off
            shortReleases++;
            state = BalloonState.EAGAIN;
            log.error("balloon: decrease_reservation released {} of {} frames; retrying later", rc, got);
        }
        for (int i = 0; i < done; i++) kernel.allocator().balloonOut((int) frameList[i]);
        for (int i = done; i < got; i++) kernel.freeBalloonFrame((int) frameList[i]);
        pagesDecreased += done;
        return state;
    }

    public long scheduleDelaySec() { return scheduleDelaySec; }
    public long retryCount() { return retryCount; }
    public long nextRunMs() { return nextRunMs; }
    public BalloonState lastState() { return lastState; }
    public long pagesIncreased() { return pagesIncreased; }
    public long pagesDecreased() { return pagesDecreased; }
    public long hypercalls() { return hypercalls; }
    public long eagains() { return eagains; }
    public long cancels() { return cancels; }
    public long shortReleases() { return shortReleases; }

    /** sysfs target_kb. */
    public long targetKb() { return targetPages << 2; }

    /** sysfs info/current_kb. */
    public long currentKb() { return kernel.currentPages() << 2; }

    /** sysfs info/low_kb (all ballooned frames count as low memory on 64-bit). */
    public long lowKb() { return (long) kernel.allocator().balloonedPages() << 2; }
}
