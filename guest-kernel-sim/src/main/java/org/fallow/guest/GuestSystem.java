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
    /** Default simulated time one workload step takes. */
    public static final long STEP_MS = 10;
    private long stepMs = STEP_MS;

    private final GuestKernel kernel;
    private final GuestTunables tunables;
    private final GuestClock clock;
    private final XenTmemDriver tmemDriver;
    private final BalloonDriver balloon;
    private final SelfBalloon selfballoon;
    private final MemoryOps memoryOps;
    private long scrubbedPages;
    /** Wall time of the boot scrub and the hypervisor faults it took (PoD demand-populates); for `fallow bench pod`. */
    private long scrubNanos, scrubFaults;

    /** Boot options that are not sysfs knobs. */
    public record BootOptions(boolean hvm, boolean bootScrub, int swapSlots, AbiProfile profile, int vcpus) {
        public BootOptions {
            if (vcpus < 1) throw new IllegalArgumentException("vcpus " + vcpus);
        }

        public BootOptions(boolean hvm, boolean bootScrub, int swapSlots, AbiProfile profile) {
            this(hvm, bootScrub, swapSlots, profile, 1);
        }

        public static BootOptions defaults() { return new BootOptions(true, false, 0, AbiProfile.XEN_4_12); }
    }

    public GuestSystem(PhysMem mem, Hypercaller hc, GuestTunables t, GuestClock clock, BootOptions boot) {
        this.tunables = t;
        this.clock = clock;
        this.kernel = new GuestKernel(mem, GuestKernel.defaultKernelPages(mem.frames()));
        // a start-of-day scrubber (as Windows and init-time scrubbing guests do) zeroes every frame the guest owns on
        // every vCPU, which under populate-on-demand touches (populates) all of them before the balloon driver runs
        if (boot.bootScrub()) {
            long f0 = mem.faults(), t0 = System.nanoTime();
            scrubbedPages = scrubAllMemory(boot.vcpus());
            scrubNanos = System.nanoTime() - t0;
            scrubFaults = mem.faults() - f0;
        }
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

    private long scrubAllMemory(int vcpus) {
        PhysMem mem = kernel.mem();
        int maxPfn = (int) kernel.maxPfn();
        java.util.concurrent.atomic.AtomicLong n = new java.util.concurrent.atomic.AtomicLong();
        java.util.function.IntConsumer scrubVcpu = v -> {
            for (int g = v; g < maxPfn; g += vcpus) {
                FrameKind k = kernel.allocator().kindOf(g);
                if (k == FrameKind.BALLOONED || k == FrameKind.HOLE) continue;
                mem.zeroPage(g, v);
                n.incrementAndGet();
            }
        };
        if (vcpus == 1) scrubVcpu.accept(0);
        else {
            try (var pool = java.util.concurrent.Executors.newFixedThreadPool(vcpus)) {
                var done = new java.util.ArrayList<java.util.concurrent.Future<?>>();
                for (int v = 0; v < vcpus; v++) {
                    int vcpu = v;
                    done.add(pool.submit(() -> scrubVcpu.accept(vcpu)));
                }
                for (var f : done) {
                    try {
                        f.get();
                    } catch (java.util.concurrent.ExecutionException e) {
                        if (e.getCause() instanceof RuntimeException re) throw re;
                        throw new IllegalStateException(e.getCause());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
        log.info("boot scrubber zeroed {} frames on {} vCPUs", n.get(), vcpus);
        return n.get();
    }

    public GuestKernel kernel() { return kernel; }
    public GuestTunables tunables() { return tunables; }
    public GuestClock clock() { return clock; }
    public XenTmemDriver tmemDriver() { return tmemDriver; }
    public BalloonDriver balloon() { return balloon; }
    public SelfBalloon selfballoon() { return selfballoon; }
    public MemoryOps memoryOps() { return memoryOps; }
    public long scrubbedPages() { return scrubbedPages; }
    public long scrubNanos() { return scrubNanos; }
    public long scrubFaults() { return scrubFaults; }

    /** Guest time per workload step (default {@link #STEP_MS}); a scaled clock sleeps to keep this pace. */
    public GuestSystem stepMs(long ms) {
        if (ms <= 0) throw new IllegalArgumentException("step must be > 0 ms");
        stepMs = ms;
        return this;
    }

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
     * balloon_wait_finish (Linux 5.16+, HVM/PVH): blocks boot until the balloon has given back the initial credit
     * (current_pages ≤ target), running the worker whenever it is due (backoffs pass on the guest clock). Returns true
     * when done; false after {@code timeoutMs} of guest time without reaching the target (Linux panics then).
     */
    public boolean bootBalloonWait(long timeoutMs) {
        long start = clock.nowMs();
        while (kernel.currentPages() > balloon.currentTarget()) {
            long next = balloon.nextRunMs();
            if (next < 0) { // ECANCELED: nothing more happens until the target changes; Linux polls every 100 ms
                if (clock.nowMs() - start >= timeoutMs) return false;
                clock.advanceTo(clock.nowMs() + 100);
                continue;
            }
            if (next - start > timeoutMs) return false;
            clock.advanceTo(next);
            balloon.process(Math.max(next, clock.nowMs()));
        }
        return true;
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
            long stepStart = clock.nowMs();
            more = w.step(kernel, r);
            clock.advanceTo(stepStart + stepMs);
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
