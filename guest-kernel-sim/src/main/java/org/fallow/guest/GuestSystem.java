package org.fallow.guest;

import org.fallow.abi.AbiProfile;
import org.fallow.guest.balloon.BalloonDriver;
import org.fallow.guest.balloon.SelfBalloon;
import org.fallow.guest.hv.HypercallMemoryOps;
import org.fallow.guest.hv.HypercallTmemOps;
import org.fallow.guest.hv.Hypercaller;
import org.fallow.guest.hv.MemoryOps;
import org.fallow.guest.hv.PhysMem;
import org.fallow.guest.hv.TmemOps;
import org.fallow.guest.mm.FrameKind;
import org.fallow.guest.mm.GuestKernel;
import org.fallow.guest.tmem.Cleancache;
import org.fallow.guest.tmem.Frontswap;
import org.fallow.guest.tmem.XenTmemDriver;
import org.fallow.guest.workload.Workload;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * One booted simulated guest: kernel memory model, tmem driver (cleancache + frontswap), balloon driver and the
 * selfballoon worker, all issuing hypercalls through one {@link Hypercaller} with arguments in the guest's own frames.
 * {@link #run} drives a workload and the workers on the guest clock.
 */
public final class GuestSystem {
    private static final Logger log = LoggerFactory.getLogger(GuestSystem.class);
    /** Simulated time one workload step takes. */
    public static final long STEP_MS = 10;

    private final GuestKernel kernel;
    private final GuestTunables tunables;
    private final GuestClock clock;
    private final XenTmemDriver tmemDriver;
    private final BalloonDriver balloon;
    private final SelfBalloon selfballoon;
    private final MemoryOps memoryOps;
    private long scrubbedPages;

    /** Boot options that are not sysfs knobs. */
    public record BootOptions(boolean hvm, boolean bootScrub, int swapSlots, AbiProfile profile) {
        public static BootOptions defaults() { return new BootOptions(true, false, 0, AbiProfile.XEN_4_12); }
    }

    public GuestSystem(PhysMem mem, Hypercaller hc, GuestTunables t, GuestClock clock, BootOptions boot) {
        this.tunables = t;
        this.clock = clock;
        this.kernel = new GuestKernel(mem, GuestKernel.defaultKernelPages(mem.frames()));
        if (boot.bootScrub()) scrubbedPages = scrubAllMemory();
        TmemOps tmem = new HypercallTmemOps(hc, mem, kernel.hypercallArgs(), boot.profile());
        this.memoryOps = new HypercallMemoryOps(hc, mem, kernel.hypercallArgs());
        boolean anyTmem = t.cleancache() || t.frontswap();
        this.tmemDriver = anyTmem ? new XenTmemDriver(tmem) : null;
        // without frontswap there is nothing to selfshrink (xen_tmem_init forces it off); selfballooning stays as
        // asked, as with the 3.0-era 'selfballooning' boot flag (see docs/DEVIATIONS.md)
        if (!t.frontswap()) t.frontswapSelfshrinking(false);
        if (t.cleancache()) kernel.attachCleancache(new Cleancache(tmemDriver.cleancacheOps()));
        int slots = boot.swapSlots() > 0 ? boot.swapSlots() : (int) Math.min(Integer.MAX_VALUE - 1, mem.frames() * 2);
        kernel.swapon(slots, new Frontswap(t.frontswap() ? tmemDriver.frontswapOps() : null));
        this.balloon = new BalloonDriver(kernel, memoryOps, t, boot.hvm());
        balloon.staticMaxPages(mem.frames());
        this.selfballoon = new SelfBalloon(kernel, balloon, t, clock.nowMs());
    }

    /**
     * A start-of-day scrubber (as Windows and init-time scrubbing guests do): zeroes every frame the guest owns, which
     * under populate-on-demand touches (populates) all of them before the balloon driver runs.
     */
    private long scrubAllMemory() {
        long n = 0;
        for (int g = 0; g < kernel.maxPfn(); g++) {
            FrameKind k = kernel.allocator().kindOf(g);
            if (k == FrameKind.BALLOONED || k == FrameKind.HOLE) continue;
            kernel.mem().zeroPage(g);
            n++;
        }
        log.info("boot scrubber zeroed {} frames", n);
        return n;
    }

    public GuestKernel kernel() { return kernel; }
    public GuestTunables tunables() { return tunables; }
    public GuestClock clock() { return clock; }
    public XenTmemDriver tmemDriver() { return tmemDriver; }
    public BalloonDriver balloon() { return balloon; }
    public SelfBalloon selfballoon() { return selfballoon; }
    public MemoryOps memoryOps() { return memoryOps; }
    public long scrubbedPages() { return scrubbedPages; }

    /** Runs the balloon and selfballoon workers if they are due. */
    public void tick() {
        long now = clock.nowMs();
        balloon.process(now);
        selfballoon.process(now);
    }

    /** Runs the balloon worker until it is idle or waiting on a backoff (boot: inflate to the initial target). */
    public void settleBalloon(int maxPasses) {
        for (int i = 0; i < maxPasses; i++) {
            long next = balloon.nextRunMs();
            if (next < 0 || next > clock.nowMs()) return;
            balloon.process(clock.nowMs());
        }
    }

    /**
     * Runs {@code w} until it finishes or {@code durationMs} of guest time have passed (≤ 0: no limit), ticking the
     * workers between steps; {@code progress} gets a line about every {@code progressEveryMs} of guest time.
     */
    public void run(Workload w, RandomGenerator r, long durationMs, long progressEveryMs, Consumer<String> progress) {
        long start = clock.nowMs();
        long nextProgress = start + progressEveryMs;
        w.setup(kernel, r);
        boolean more = true;
        while (more) {
            more = w.step(kernel, r);
            clock.advance(STEP_MS);
            tick();
            long now = clock.nowMs();
            if (durationMs > 0 && now - start >= durationMs) more = false;
            if (progress != null && progressEveryMs > 0 && now >= nextProgress) {
                nextProgress = now + progressEveryMs;
                progress.accept(String.format("t=%.1fs ops=%d %s target=%d cleancache hits=%d/%d", now / 1000.0, w.ops(),
                        kernel.describe(), balloon.targetPages(), kernel.cleancache().succGets(),
                        kernel.cleancache().succGets() + kernel.cleancache().failedGets()));
            }
        }
    }
}
