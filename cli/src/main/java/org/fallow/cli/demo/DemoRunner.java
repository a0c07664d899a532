package org.fallow.cli.demo;

import org.fallow.abi.fs.SafeFiles;
import org.fallow.cli.RunContext;
import org.fallow.cli.chart.MemoryChart;
import org.fallow.cli.chart.MemorySeries;
import org.fallow.cli.stats.HostSample;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs a {@link Scenario}: starts the hypervisor as a child JVM, creates a domain and starts a guest process per
 * scenario guest on schedule, starts xenpaging for the paged guest, samples the hypervisor's statistics through the
 * toolstack every {@code sample.ms}, prints a progress line every {@code progress.ms}, and finally writes the report,
 * the samples and the chart. Everything is torn down on the way out, also on failure or Ctrl-C.
 */
public final class DemoRunner {
    private static final Logger LOG = LoggerFactory.getLogger(DemoRunner.class);

    /** Opens the toolstack once the hypervisor is listening. */
    @FunctionalInterface
    public interface ToolstackFactory {
        DemoToolstack open(RunContext ctx) throws IOException;
    }

    /** What a run produced. */
    public record Result(MemorySeries series, String report, Path reportFile, Path png, Path svg, Path jsonl, Path csv,
                         Map<String, Integer> guestExitCodes, List<DemoChecks.Check> checks, String failure) {
        /** No failure (every guest finished its work, every mechanism was seen) and every guest exited 0. */
        public boolean succeeded() {
            return failure == null && guestExitCodes.values().stream().allMatch(c -> c != null && c == 0);
        }
    }

    private final Scenario scenario;
    private final Path outDir;
    private final Path runDir;
    private final ToolstackFactory toolstacks;
    private final PrintStream out;
    private volatile boolean interrupted;
    private Runnable afterRun = () -> { };
    /** The latest sample (host free memory decides when the next domain can be built). */
    private HostSample last;
    /** How long the hypervisor may take to listen before the demo gives up on it (a hang guard, not a pace). */
    static final long HYPERVISOR_START_BOUND_MS = 300_000;

    public DemoRunner(Scenario scenario, Path outDir, Path runDir, ToolstackFactory toolstacks, PrintStream out) {
        this.scenario = scenario;
        this.outDir = outDir.toAbsolutePath();
        this.runDir = runDir.toAbsolutePath();
        this.toolstacks = toolstacks;
        this.out = out;
    }

    private final class GuestRun {
        final Scenario.Guest spec;
        DemoToolstack.Created domain;
        ChildProcesses.Child process;
        ChildProcesses.Child pager;
        Integer exit;
        /** Why the guest did not finish its work (null while running or when it finished). */
        String problem;
        /** Milestones, as elapsed demo milliseconds (-1: not yet). */
        long createdAt = -1, bootedAt = -1, upAt = -1;
        /** The paged guest before it boots: pages paged out, and when that last changed. */
        long pagedSeen = -1, pagedChangedAt;
        long waitingSince = -1;
        /** Hang guard: the guest's log size and when it last changed. */
        long logSize = -1, logChangedAt;

        GuestRun(Scenario.Guest spec) { this.spec = spec; }

        boolean started() { return process != null; }

        boolean finished() { return exit != null; }

        /** Up: booted (the paged guest boots once it has been paged down), or over; the next guest may start. */
        boolean up() { return upAt >= 0 || finished(); }

        Path log() { return outDir.resolve("logs").resolve(spec.name() + ".log"); }
    }

    /**
     * Runs the scenario. On Ctrl-C (JVM shutdown) the sampling loop stops, the children are torn down and what was
     * sampled so far is still written before the JVM exits.
     */
    public Result run() throws Exception {
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        Thread hook = new Thread(() -> {
            interrupted = true;
            try {
                done.await(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "fallow-demo-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        Thread warmUp = Thread.ofPlatform().daemon().name("chart-warm-up").start(MemoryChart::warmUp);
        try {
            Result r = runScenario(warmUp);
            printSummary(r);
            return r;
        } finally {
            afterRun.run();
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running and has just been released
            }
        }
    }

    /** Something to do once the run is over, also when it is interrupted (before the JVM exits). */
    public DemoRunner afterRun(Runnable r) {
        afterRun = r;
        return this;
    }

    private void printSummary(Result r) {
        out.println();
        out.print(r.report());
        out.println();
        out.println("chart:   " + r.png());
        out.println("         " + r.svg());
        out.println("report:  " + r.reportFile());
        out.println("samples: " + r.jsonl() + ", " + r.csv());
        out.println("logs:    " + outDir.resolve("logs"));
        out.println(r.succeeded() ? "fallow demo: done; every guest finished its work and every mechanism was seen"
                : "fallow demo: FAILED: " + r.failure());
    }

    private Result runScenario(Thread warmUp) throws Exception {
        SafeFiles.ensureOutputDir(outDir);
        SafeFiles.ensurePrivateDir(runDir);
        RunContext ctx = RunContext.resolve(runDir, null, Map.of());
        long t0 = System.currentTimeMillis();
        MemorySeries series = new MemorySeries(t0);
        series.level("guests' maxmem: " + scenario.configuredMiB() + " MiB", scenario.configuredMiB() * 256);
        final List<GuestRun> guests = new ArrayList<>();
        for (Scenario.Guest g : scenario.guests()) guests.add(new GuestRun(g));
        Map<Integer, DemoReport.Planned> plan = new LinkedHashMap<>();
        Map<String, Integer> exits = new LinkedHashMap<>();

        out.printf(Locale.ROOT, "fallow demo: host %d MiB, %d guests configured for %d MiB (%.2fx); output in %s%n",
                scenario.hostMiB(), guests.size(), scenario.configuredMiB(), scenario.configuredMiB() / (double) scenario.hostMiB(), outDir);
        String failure = null;
        try (ChildProcesses children = new ChildProcesses(outDir.resolve("logs"),
                Map.of("FALLOW_RUN_DIR", runDir.toString()), List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"))) {
            // tmem keeps page data on the hypervisor's heap: room for the whole host plus the engine's metadata
            long hvHeapMiB = Math.max(256, 128 + scenario.hostMiB() * 3 / 2);
            ChildProcesses.Child hv = children.start("hypervisor", List.of("-Xmx" + hvHeapMiB + "m"),
                    DemoLaunch.hypervisor(ctx, scenario.hostMiB()));
            awaitSocket(ctx.socket(), hv, HYPERVISOR_START_BOUND_MS);
            series.event(System.currentTimeMillis(), "hypervisor up");
            out.println("fallow demo: hypervisor up; watch it from another terminal with: ./fallow --run-dir " + runDir + " top");
            long hvUpAt = System.currentTimeMillis() - t0;
            try (DemoToolstack ts = toolstacks.open(ctx)) {
                long nextProgress = 0;
                while (true) {
                    long now = System.currentTimeMillis();
                    if (last == null) {
                        last = ts.sample();
                        series.add(last);
                    }
                    for (int i = 0; i < guests.size(); i++) {
                        GuestRun g = guests.get(i);
                        long readySince = i == 0 ? hvUpAt : guests.get(i - 1).up() ? upTime(guests.get(i - 1)) : -1;
                        step(g, guests, readySince, ts, ctx, children, series, plan, now - t0);
                    }
                    HostSample s = ts.sample();
                    last = s;
                    series.add(s);
                    if (now >= nextProgress) {
                        out.println(DemoProgress.line(series, s));
                        nextProgress = now + scenario.progressMs();
                    }
                    if (!hv.alive()) throw new IOException("the hypervisor exited (" + hv.process().exitValue()
                            + "); its log: " + hv.log() + "\n" + ChildProcesses.tail(hv, 10));
                    if (interrupted) {
                        out.println("fallow demo: interrupted; stopping everything and writing what was sampled");
                        failure = "interrupted";
                        break;
                    }
                    if (guests.stream().allMatch(GuestRun::finished)) break;
                    Thread.sleep(scenario.sampleMs());
                }
                for (GuestRun g : guests) {
                    if (g.process != null && g.exit == null) {
                        g.exit = ChildProcesses.stop(g.process, 5000);
                        if (g.problem == null) g.problem = "stopped before it finished its work";
                        if (g.domain != null) plan.computeIfPresent(g.domain.domid(), (k, v) -> v.withOutcome("stopped"));
                    }
                    exits.put(g.spec.name(), g.exit);
                }
                series.add(ts.sample());
                for (GuestRun g : guests) {
                    if (g.domain != null) {
                        try {
                            ts.destroy(g.domain.domid());
                        } catch (IOException e) {
                            LOG.warn("destroying dom{}: {}", g.domain.domid(), e.toString());
                        }
                    }
                    if (g.pager != null) ChildProcesses.stop(g.pager, 3_000);
                }
            }
            ChildProcesses.stop(hv, 10_000);
        } catch (IOException | RuntimeException e) {
            failure = interrupted ? "interrupted" : e.getMessage() == null ? e.toString() : e.getMessage();
            LOG.debug("demo failed", e);
            if (!interrupted)
                out.println("fallow demo: FAILED: " + failure + (series.samples().isEmpty() ? "" : "; writing what was sampled"));
        }
        if (series.samples().isEmpty()) throw new IOException("the demo failed before its first sample: " + failure);
        List<String> notStarted = guests.stream().filter(g -> !g.started()).map(g -> g.spec.name()).toList();
        if (failure == null) {
            List<String> problems = new ArrayList<>();
            for (GuestRun g : guests)
                if (g.problem != null) problems.add(g.spec.name() + ": " + g.problem + " (log: " + g.log() + ")");
            if (!problems.isEmpty()) failure = String.join("; ", problems);
        }
        warmUp.join(30_000);
        return finish(series, plan, exits, failure, notStarted);
    }

    private static long upTime(GuestRun g) { return g.upAt >= 0 ? g.upAt : g.bootedAt >= 0 ? g.bootedAt : 0; }

    /**
     * Advances one guest: create + start when the guest before it is up ({@code readySince} &gt;= 0) and the host has
     * its memory, start paging once it booted, notice its milestones and its exit. Nothing here waits on the clock
     * except the scenario's small start delays.
     */
    private void step(GuestRun g, List<GuestRun> all, long readySince, DemoToolstack ts, RunContext ctx,
                      ChildProcesses children, MemorySeries series, Map<Integer, DemoReport.Planned> plan, long elapsed)
            throws IOException {
        Scenario.Guest spec = g.spec;
        if (g.domain == null && g.exit == null && readySince >= 0 && elapsed >= readySince + spec.startMs()) {
            // as xl does (libxl_wait_for_free_memory): a domain is only built once the host has the memory it needs now
            long needPages = (spec.memoryMiB() + 1) * 256;
            long available = last == null ? Long.MAX_VALUE : last.freePages() + Math.max(0, last.tmemFreeablePages());
            if (available < needPages) {
                if (g.waitingSince < 0) {
                    g.waitingSince = elapsed;
                    out.printf(Locale.ROOT, "fallow demo: %s waits for %d MiB of host memory (%.1f MiB free or freeable)%n",
                            spec.name(), spec.memoryMiB() + 1, available / 256.0);
                }
                // memory comes back only when a running guest gives it back (balloon, paging, its end)
                boolean othersRunning = all.stream().anyMatch(o -> o != g && o.domain != null && !o.finished());
                if (othersRunning) return;
                out.printf(Locale.ROOT, "fallow demo: %s cannot start: it needs %d MiB and the host has %.1f MiB free or "
                        + "freeable with no guest left running to give memory back%n", spec.name(), spec.memoryMiB() + 1, available / 256.0);
                g.exit = -1;
                g.problem = String.format(Locale.ROOT, "never started: needs %d MiB, the host had %.1f MiB free or freeable",
                        spec.memoryMiB() + 1, available / 256.0);
                series.event(System.currentTimeMillis(), spec.name() + " not started");
                return;
            }
            try {
                g.domain = ts.create(spec);
            } catch (IOException e) {
                out.println("fallow demo: creating " + spec.name() + " failed: " + e.getMessage());
                g.exit = -1;
                g.problem = "its domain could not be built: " + e.getMessage();
                series.event(System.currentTimeMillis(), spec.name() + " not created");
                return;
            }
            int domid = g.domain.domid();
            g.createdAt = elapsed;
            last = ts.sample();
            series.name(domid, spec.name());
            plan.put(domid, new DemoReport.Planned(spec.name(), roleText(spec), spec.memoryMiB(), spec.maxmemMiB()));
            if (spec.role() != Scenario.Role.PAGED) startGuest(g, ts, ctx, children, series, elapsed);
        }
        if (g.domain == null || g.finished()) return;
        if (spec.role() == Scenario.Role.PAGED && g.process == null) {
            // xenpaging pages the fully built domain down to its actmem first; the guest then boots and runs its work
            // on memory that is mostly in the pager's file, so paging shows however fast or slow the machine is
            int domid = g.domain.domid();
            if (g.pager == null) {
                if (elapsed < g.createdAt + spec.pagingStartMs()) return;
                ts.setPagingTarget(domid, spec.actmemMiB());
                g.pager = children.start(spec.name() + "-xenpaging", List.of("-Xmx128m"),
                        DemoLaunch.xenpaging(ctx, domid, runDir.resolve("pagefile-" + domid)));
                g.pagedChangedAt = elapsed;
                series.event(System.currentTimeMillis(), "xenpaging " + spec.name() + " to " + spec.actmemMiB() + " MiB");
                out.printf(Locale.ROOT, "fallow demo: dom%d %s (%s MiB) built; xenpaging pages it down to actmem %d MiB before it boots%n",
                        domid, spec.name(), spec.memoryMiB(), spec.actmemMiB());
                return;
            }
            org.fallow.cli.stats.DomainSample d = last == null ? null : last.domain(domid);
            long paged = d == null ? 0 : d.pagedPages();
            if (paged != g.pagedSeen) {
                g.pagedSeen = paged;
                g.pagedChangedAt = elapsed;
            }
            long want = Math.max(1, (spec.memoryMiB() - spec.actmemMiB()) * 256 / 2);
            if (paged >= want) {
                startGuest(g, ts, ctx, children, series, elapsed);
            } else if (!g.pager.alive() || elapsed - g.pagedChangedAt > scenario.hangMinutes() * 60_000) {
                String why = g.pager.alive() ? String.format(Locale.ROOT, "paged out nothing more for %.0f minutes", scenario.hangMinutes())
                        : "exited (" + g.pager.process().exitValue() + ")";
                g.problem = "its pager xenpaging " + why + " before paging it down (log: " + g.pager.log() + ")";
                out.println("fallow demo: xenpaging for " + spec.name() + " " + why + "; starting the guest anyway:\n"
                        + ChildProcesses.tail(g.pager, 3).indent(4).stripTrailing());
                startGuest(g, ts, ctx, children, series, elapsed);
            }
            return;
        }
        if (g.process == null) return;
        if (g.bootedAt < 0 && logContains(g.log(), BOOTED_MARKER)) {
            g.bootedAt = elapsed;
            g.upAt = elapsed;
        }
        if (g.process.alive()) {
            long size = logSize(g.log());
            if (size != g.logSize) {
                g.logSize = size;
                g.logChangedAt = elapsed;
            } else if (elapsed - g.logChangedAt > scenario.hangMinutes() * 60_000) {
                g.problem = String.format(Locale.ROOT, "hung: its log did not grow for %.0f minutes", scenario.hangMinutes());
                out.println("fallow demo: " + spec.name() + " is " + g.problem + "; stopping it");
                ChildProcesses.stop(g.process, 5000);
            }
        }
        if (!g.process.alive()) {
            g.exit = g.process.process().exitValue();
            series.event(System.currentTimeMillis(), spec.name() + (g.exit == 0 ? " done" : " failed"));
            if (g.exit != 0 && g.problem == null) g.problem = "exited " + g.exit + " (" + exitMeaning(g.exit) + ")";
            out.printf(Locale.ROOT, "fallow demo: %s %s (exit %d); destroying dom%d%n", spec.name(),
                    g.exit == 0 ? "finished its work" : interrupted ? "stopped" : "FAILED", g.exit, g.domain.domid());
            if (g.exit != 0 && !interrupted) {
                out.println("    " + spec.name() + ": " + exitMeaning(g.exit) + "; log: " + g.log());
                out.println(ChildProcesses.tail(g.process, 5).indent(4).stripTrailing());
            }
            // the domain's last state as the hypervisor has it (a crash shows here), before it is destroyed
            last = ts.sample();
            series.add(last);
            org.fallow.cli.stats.DomainSample final_ = last.domain(g.domain.domid());
            boolean crashed = final_ != null && final_.state().contains("c");
            plan.computeIfPresent(g.domain.domid(), (k, v) -> v.withOutcome(crashed ? "crashed" : outcome(g.exit)));
            // as xl: the domain goes first; its pager then sees the domain gone and has nothing to page back in
            try {
                ts.destroy(g.domain.domid());
            } catch (IOException e) {
                out.println("fallow demo: destroying dom" + g.domain.domid() + " failed: " + e.getMessage());
            }
            if (g.pager != null) {
                ChildProcesses.stop(g.pager, 3_000);
                g.pager = null;
            }
            g.domain = null;
        }
    }

    private void startGuest(GuestRun g, DemoToolstack ts, RunContext ctx, ChildProcesses children, MemorySeries series,
                            long elapsed) throws IOException {
        Scenario.Guest spec = g.spec;
        g.process = children.start(spec.name(), List.of("-Xmx128m"),
                DemoLaunch.guest(ctx, scenario, spec, g.domain, outDir.resolve("logs").resolve(spec.name() + ".stats.json")),
                DemoLaunch.guestEnv(g.domain));
        g.logChangedAt = elapsed;
        series.event(System.currentTimeMillis(), spec.name() + " starts");
        out.printf(Locale.ROOT, "fallow demo: dom%d %s (%s, %s) started%n", g.domain.domid(), spec.name(), roleText(spec),
                spec.maxmemMiB() > spec.memoryMiB() ? spec.memoryMiB() + "/" + spec.maxmemMiB() + " MiB" : spec.memoryMiB() + " MiB");
    }

    /** The marker line a guest prints on stdout once it has booted (GuestMain). */
    static final String BOOTED_MARKER = " booted:";

    private static boolean logContains(Path log, String marker) {
        try {
            return Files.readString(log, java.nio.charset.StandardCharsets.ISO_8859_1).contains(marker);
        } catch (IOException e) {
            return false;
        }
    }

    private static long logSize(Path log) {
        try {
            return Files.size(log);
        } catch (IOException e) {
            return -1;
        }
    }

    /** What a guest process exit status means (GuestMain's codes). */
    static String exitMeaning(int exit) {
        return switch (exit) {
            case 0 -> "finished its work";
            case 1 -> "the guest failed with an error";
            case 2 -> "bad guest arguments";
            case 3 -> "its domain died under it (crashed or destroyed)";
            case 4 -> "the balloon driver could not reach its boot target";
            case 143 -> "killed by SIGTERM";
            case 137 -> "killed by SIGKILL";
            default -> "unexpected exit status";
        };
    }

    /** The report's END column for a guest process exit status (the guest exits 3 when its domain died). */
    static String outcome(int exit) {
        return switch (exit) {
            case 0 -> "done";
            case 3 -> "domain died";
            default -> "exit " + exit;
        };
    }

    static String roleText(Scenario.Guest g) {
        return switch (g.role()) {
            case POD -> "PoD boot";
            case TMEM -> "tmem " + g.workload();
            case PAGED -> "xenpaging to " + g.actmemMiB() + " MiB";
            case PLAIN -> g.workload();
        };
    }

    private Result finish(MemorySeries series, Map<Integer, DemoReport.Planned> plan, Map<String, Integer> exits,
                          String failure, List<String> notStarted) throws IOException {
        List<DemoChecks.Check> checks = DemoChecks.evaluate(series, plan, scenario);
        List<String> unseen = checks.stream().filter(c -> !c.seen()).map(c -> c.name() + " (" + c.evidence() + ")").toList();
        if (failure == null && !unseen.isEmpty()) failure = "the run did not show " + String.join(", ", unseen);
        String report = DemoReport.render(series, plan, scenario.configuredMiB(), notStarted) + '\n' + DemoChecks.render(checks)
                + (failure == null ? "Result: success\n" : "Result: FAILED: " + failure + '\n');
        Path reportFile = outDir.resolve("report.txt");
        SafeFiles.writeAtomically(reportFile, report);
        Path jsonl = outDir.resolve("samples.jsonl");
        Path csv = outDir.resolve("samples.csv");
        SamplesWriter.writeJsonLines(series, jsonl);
        SamplesWriter.writeCsv(series, csv);
        MemoryChart.Files2 chart = MemoryChart.write(series, String.format(Locale.ROOT,
                "Fallow: %d MiB of guests on a %d MiB host", scenario.configuredMiB(), scenario.hostMiB()), outDir, "memory");
        return new Result(series, report, reportFile, chart.png(), chart.svg(), jsonl, csv, exits, checks, failure);
    }

    /** Waits until the hypervisor accepts connections on its socket (or fails if it exits first). */
    static void awaitSocket(Path socket, ChildProcesses.Child hv, long timeoutMs) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (!hv.alive())
                throw new IOException("the hypervisor exited (" + hv.process().exitValue() + "):\n" + ChildProcesses.tail(hv, 20));
            if (Files.exists(socket)) {
                try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    ch.connect(UnixDomainSocketAddress.of(socket));
                    return;
                } catch (IOException notYet) {
                    // listening soon
                }
            }
            Thread.sleep(50);
        }
        throw new IOException("the hypervisor did not listen on " + socket + " within " + timeoutMs + " ms");
    }
}
