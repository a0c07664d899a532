package org.fallow.guest;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.fs.SafeFiles;
import org.fallow.abi.fs.Secrets;
import org.fallow.guest.hv.PhysMemFault;
import org.fallow.guest.workload.Workload;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ./fallow guest}: one simulated Linux guest of an existing domain. Attaches as the domain's guest (domid +
 * secret = its domain handle), maps its memory, boots (optional start-of-day scrub, tmem driver, balloon driver
 * following {@code memory/target}, selfballooning), runs the workload to completion and prints its statistics.
 */
@Command(name = "guest", mixinStandardHelpOptions = true,
        description = "Run a simulated Linux guest (cleancache, frontswap, balloon, selfballoon) in domain D.")
public final class GuestMain implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(GuestMain.class);

    @Option(names = "--domid", required = true, description = "the domain to run in") int domid;
    @Option(names = "--secret-file", paramLabel = "FILE", description = "file holding the domain handle (32 hex digits; a 0600 file of yours)") Path secretFile;
    @Option(names = "--secret-fd", paramLabel = "N", defaultValue = "-1", description = "inherited file descriptor to read the domain handle from (e.g. 3<file)") int secretFd;
    /** Refused: a secret on the command line is visible to every user in ps (docs/SECURITY.md). */
    @Option(names = "--secret", hidden = true) String secretOnCommandLine;
    @Option(names = "--socket", description = "the hypervisor's Unix socket (default: the run directory's hypervisor.sock)") Path socket;
    @Option(names = "--workload", defaultValue = "zipf-files", description = "zipf-files | anon-grow | kbuild (default ${DEFAULT-VALUE})") String workload;
    @Option(names = "--ops", description = "workload operations (default 200000; with --duration and no --ops: until the duration ends)") Long ops;
    @Option(names = "--duration", defaultValue = "0", description = "stop after S guest seconds (0 = when the workload ends)") double durationSec;
    @Option(names = "--time-scale", defaultValue = "0", description = "guest clock = wall clock × X; 0 = simulated (--step-ms per workload step)") double timeScale;
    @Option(names = "--step-ms", defaultValue = "10", description = "guest time per workload step (default ${DEFAULT-VALUE} ms); with --time-scale the guest sleeps to keep this pace") long stepMs;
    @Option(names = "--boot-timeout", defaultValue = "180", description = "balloon boot_timeout: guest seconds to wait at boot for the initial balloon-down (default ${DEFAULT-VALUE})") int bootTimeout;
    @Option(names = "--no-balloon", description = "no balloon driver (a PoD guest then crashes)") boolean noBalloon;
    @Option(names = "--selfballoon", description = "selfballooning (tmem.selfballooning): on by default with --frontswap, as Linux v5.2; this also turns it on without frontswap") boolean selfballoon;
    @Option(names = "--no-selfballoon", description = "no selfballooning (tmem.selfballooning=0)") boolean noSelfballoon;
    @Option(names = "--no-selfshrink", description = "no frontswap selfshrinking (tmem.selfshrinking=0; on by default with --frontswap)") boolean noSelfshrink;
    @Option(names = "--frontswap", description = "enable frontswap over a persistent tmem pool") boolean frontswap;
    @Option(names = "--cleancache", description = "enable cleancache over private ephemeral tmem pools") boolean cleancache;
    @Option(names = "--shared-fs-uuid", description = "also mount a shared (ocfs2-like) fs with this 32-hex-digit UUID") String sharedUuid;
    @Option(names = "--boot-scrub", description = "zero all memory at start of day (before the balloon driver)") boolean bootScrub;
    @Option(names = "--pv", description = "PV semantics for the first memory/target event (no static-max correction)") boolean pv;
    @Option(names = "--vcpus", defaultValue = "1", description = "vCPUs: the boot scrubber runs on all of them; the workload runs on vCPU 0") int vcpus;
    @Option(names = "--swap-pages", defaultValue = "0", description = "swap device size in pages (0 = 2 × memory)") int swapPages;
    @Option(names = "--profile", defaultValue = "4.12", description = "tmem ABI profile: 4.12 or 2009") String profile;
    @Option(names = "--seed", defaultValue = "1", description = "workload random seed") long seed;
    @Option(names = "--stats-json", description = "write the final statistics here") Path statsJson;
    @Option(names = "--progress-every", defaultValue = "-1", description = "progress line every S guest seconds (0 = none; default: 5 with ./fallow -v, else none)") double progressSec;
    // sysfs knobs
    @Option(names = "--selfballoon-interval", defaultValue = "5", description = "selfballoon_interval: seconds between selfballoon runs") int interval;
    @Option(names = "--selfballoon-downhysteresis", defaultValue = "8", description = "selfballoon_downhysteresis: shrink by 1/N of the gap") int downhys;
    @Option(names = "--selfballoon-uphysteresis", defaultValue = "1", description = "selfballoon_uphysteresis: grow by 1/N of the gap") int uphys;
    @Option(names = "--selfballoon-min-usable-mb", description = "selfballoon_min_usable_mb: explicit floor in MiB, > 0 (unset: the piecewise floor; sysfs rejects 0)") Integer minUsableMb;
    @Option(names = "--selfballoon-reserved-mb", description = "selfballoon_reserved_mb, > 0 (unset: totalram/10; sysfs rejects 0)") Integer reservedMb;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Option(names = "--frontswap-hysteresis", defaultValue = "20", description = "frontswap_hysteresis: selfshrink removes 1/N per shrink") int fsHys;
    @Option(names = "--frontswap-inertia", defaultValue = "3", description = "frontswap_inertia: quiet intervals before shrinking") int fsInertia;
    @Option(names = "--max-retry-count", defaultValue = "4", description = "balloon max_retry_count (0 = retry forever)") int maxRetry;
    @Option(names = "--max-schedule-delay", defaultValue = "32", description = "balloon max_schedule_delay in seconds") int maxDelay;
    @Option(names = "--selfshrink-every-interval", description = "3.x/4.x selfshrink cadence (every interval after the first countdown) instead of v5.2's every 3") boolean shrinkEveryInterval;
    @Option(names = "--no-scrub-pages", description = "do not zero pages before ballooning them out") boolean noScrubPages;

    public static void main(String[] args) { System.exit(new CommandLine(new GuestMain()).execute(args)); }

    /** Linux v5.2: tmem.selfballooning defaults on, and xen_tmem_init turns it off without frontswap. */
    boolean selfballooning() { return !noSelfballoon && (selfballoon || frontswap); }

    GuestTunables tunables() {
        GuestTunables t = GuestTunables.defaults();
        try {
            if (minUsableMb != null) t.selfballoonMinUsableMb(minUsableMb);
            if (reservedMb != null) t.selfballoonReservedMb(reservedMb);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        return t.cleancache(cleancache).frontswap(frontswap).selfballooning(selfballooning())
                .frontswapSelfshrinking(frontswap && !noSelfshrink).balloon(!noBalloon).selfballoonIntervalSec(interval)
                .selfballoonDownhysteresis(downhys).selfballoonUphysteresis(uphys)
                .frontswapHysteresis(fsHys).frontswapInertia(fsInertia)
                .maxRetryCount(maxRetry).maxScheduleDelaySec(maxDelay).scrubPages(!noScrubPages).selfshrinkRearm(!shrinkEveryInterval);
    }

    @Override public Integer call() throws Exception {
        if (secretOnCommandLine != null)
            throw new CommandLine.ParameterException(new CommandLine(this), "--secret on the command line shows the domain's secret to every "
                    + "user (ps); pass it in $" + Secrets.ENV + ", --secret-file FILE or --secret-fd N");
        byte[] handle;
        try {
            handle = Secrets.read(secretFile, secretFd, System.getenv(), 16);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
        }
        AbiProfile abi = AbiProfile.fromLabel(profile);
        Path hv = socket != null ? socket : org.fallow.xc.XcHandle.defaultSocket();
        // quiet by default: the log goes to <run-dir>/logs/guest-domN.log (./fallow -v: here)
        Path logFile = hv.toAbsolutePath().getParent() == null ? null
                : org.fallow.abi.tools.ProcessLog.toRunDir(hv.toAbsolutePath().getParent(), "guest-dom" + domid);
        if (logFile != null) System.out.println("dom" + domid + " guest: log " + logFile + " (./fallow -v guest ... to log here)");
        if (progressSec < 0) progressSec = org.fallow.abi.tools.ProcessLog.verbosity() == 0 ? 0 : 5;
        try (GuestPlatform platform = WireGuestPlatform.connect(hv, domid, handle, abi)) {
            return run(platform, abi);
        }
    }

    int run(GuestPlatform platform, AbiProfile abi) throws Exception {
        GuestTunables t = tunables();
        GuestClock clock = timeScale > 0 ? new GuestClock.Scaled(timeScale) : new GuestClock.Simulated();
        GuestSystem g;
        try {
            g = new GuestSystem(platform.memory(), platform.hypercaller(), t, clock,
                    new GuestSystem.BootOptions(!pv, bootScrub, swapPages, abi, vcpus));
        } catch (PhysMemFault | java.io.UncheckedIOException e) {
            // e.g. a PoD guest whose start-of-day scrubber touched more than the PoD cache without a balloon driver
            log.error("dom{}: guest memory gone at boot ({}); stopping", platform.domid(), e.getMessage());
            return 3;
        }
        g.stepMs(stepMs);
        // the newest memory/target only (-1: none since the last look), as Linux's watch_target reads the node when the
        // watch fires: targets written faster than the guest looks replace each other instead of queueing without bound
        AtomicLong newestTargetKib = new AtomicLong(-1);
        if (!noBalloon) {
            long staticMaxKib = platform.watchTarget(newestTargetKib::set);
            if (staticMaxKib > 0) g.balloon().staticMaxPages(staticMaxKib >> 2);
        }
        Runnable drainTargets = () -> {
            long kib = newestTargetKib.getAndSet(-1);
            if (kib >= 0) g.balloon().onXenstoreTarget(kib, clock.nowMs());
        };
        drainTargets.run();
        // boot: inflate to the initial target before the workload touches memory (balloon_wait_finish)
        if (!noBalloon && !g.bootBalloonWait(bootTimeout * 1000L)) {
            log.error("dom{}: balloon: initial balloon-down not done after {} s (target {} pages, current {}); Linux panics here",
                    platform.domid(), bootTimeout, g.balloon().currentTarget(), g.kernel().currentPages());
            return 4;
        }
        if (sharedUuid != null) {
            byte[] u = HexFormat.of().parseHex(sharedUuid);
            g.kernel().mount("ocfs2", true, le64(u, 0), le64(u, 8));
        }
        boolean timed = ops == null && durationSec > 0;
        Workload w = timed ? Workload.byName(workload, platform.memory().frames(), Long.MAX_VALUE, true)
                : Workload.byName(workload, platform.memory().frames(), ops == null ? 200_000 : ops);
        // one line on stdout (the demo waits for " booted:" before it starts the next guest)
        System.out.println("dom" + platform.domid() + " booted: " + platform.memory().frames() + " frames, "
                + g.kernel().describe() + "; workload " + workload);
        System.out.flush();
        int rc = 0;
        try {
            g.run(new DrainingWorkload(w, drainTargets, platform::alive), new SplittableRandom(seed), (long) (durationSec * 1000),
                    (long) (progressSec * 1000), line -> System.out.println("dom" + platform.domid() + " " + line));
        } catch (PhysMemFault | java.io.UncheckedIOException e) {
            log.error("dom{}: guest memory gone ({}); stopping", platform.domid(), e.getMessage());
            rc = 3;
        }
        if (!platform.alive()) rc = 3;
        String json = GuestStats.toJson(GuestStats.collect(g, w, platform.domid()));
        // the statistics: to --stats-json; on stdout too unless quiet (./fallow without -v prints one line)
        if (org.fallow.abi.tools.ProcessLog.verbosity() != 0) System.out.print(json);
        else System.out.println("dom" + platform.domid() + " guest: " + (rc == 0 ? "workload done" : "stopped (exit " + rc + ")")
                + ", " + w.ops() + " operations" + (statsJson != null ? "; statistics in " + statsJson : ""));
        if (statsJson != null) SafeFiles.writeAtomically(statsJson, json);
        return rc;
    }

    private static long le64(byte[] b, int off) {
        long v = 0;
        for (int i = 7; i >= 0; i--) v = (v << 8) | (b[off + i] & 0xFF);
        return v;
    }

    /** Delivers xenstore target changes on the guest thread before each workload step. */
    private record DrainingWorkload(Workload w, Runnable drain, java.util.function.BooleanSupplier alive) implements Workload {
        @Override public String name() { return w.name(); }
        @Override public void setup(org.fallow.guest.mm.GuestKernel k, java.util.random.RandomGenerator r) { w.setup(k, r); }
        @Override public boolean step(org.fallow.guest.mm.GuestKernel k, java.util.random.RandomGenerator r) {
            drain.run();
            if (!alive.getAsBoolean()) throw new PhysMemFault(-1, "the domain is gone");
            return w.step(k, r);
        }
        @Override public long ops() { return w.ops(); }
    }
}
