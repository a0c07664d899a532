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
                         Map<String, Integer> guestExitCodes, String failure) {
        /** No failure and every guest exited 0. */
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
    static final long MEMORY_WAIT_MS = 30_000;

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

        GuestRun(Scenario.Guest spec) { this.spec = spec; }

        long waitingSince = -1;

        boolean started() { return process != null; }

        boolean finished() { return exit != null; }
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
        if (r.failure() != null) out.println("the run failed: " + r.failure());
        else if (!r.succeeded()) out.println("some guests did not finish cleanly (exit codes): " + r.guestExitCodes());
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
            awaitSocket(ctx.socket(), hv, 60_000);
            series.event(System.currentTimeMillis(), "hypervisor up");
            out.println("fallow demo: hypervisor up; watch it from another terminal with: ./fallow --run-dir " + runDir + " top");
            try (DemoToolstack ts = toolstacks.open(ctx)) {
                long endAt = t0 + Math.round(scenario.runSeconds() * 1000) + 15_000; // grace for the last guest's exit
                long nextProgress = 0;
                while (true) {
                    long now = System.currentTimeMillis();
                    if (last == null) {
                        last = ts.sample();
                        series.add(last);
                    }
                    for (GuestRun g : guests) step(g, ts, ctx, children, series, plan, now - t0);
                    HostSample s = ts.sample();
                    last = s;
                    series.add(s);
                    if (now >= nextProgress) {
                        out.println(DemoProgress.line(series, s));
                        nextProgress = now + scenario.progressMs();
                    }
                    boolean allDone = guests.stream().allMatch(GuestRun::finished);
                    if (interrupted) {
                        out.println("fallow demo: interrupted; stopping everything and writing what was sampled");
                        failure = "interrupted";
                        break;
                    }
                    if (allDone || now > endAt) {
                        if (!allDone) out.println("fallow demo: time is up; stopping the remaining guests");
                        break;
                    }
                    Thread.sleep(scenario.sampleMs());
                }
                for (GuestRun g : guests) {
                    if (g.process != null && g.exit == null) {
                        g.exit = ChildProcesses.stop(g.process, 5000);
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
        warmUp.join(30_000);
        return finish(series, plan, exits, failure, notStarted);
    }

    /** Advances one guest: create + start when due, start paging when due, notice its exit. */
    private void step(GuestRun g, DemoToolstack ts, RunContext ctx, ChildProcesses children, MemorySeries series,
                      Map<Integer, DemoReport.Planned> plan, long elapsed) throws IOException {
        Scenario.Guest spec = g.spec;
        if (!g.started() && g.exit == null && elapsed >= spec.startMs()) {
            // as xl does (libxl_wait_for_free_memory): a domain is only built once the host has the memory it needs now
            long needPages = (spec.memoryMiB() + 1) * 256;
            long available = last == null ? Long.MAX_VALUE : last.freePages() + Math.max(0, last.tmemFreeablePages());
            if (available < needPages) {
                if (g.waitingSince < 0) {
                    g.waitingSince = elapsed;
                    out.printf(Locale.ROOT, "fallow demo: %s waits for %d MiB of host memory (%.1f MiB free or freeable)%n",
                            spec.name(), spec.memoryMiB() + 1, available / 256.0);
                }
                if (elapsed - g.waitingSince < MEMORY_WAIT_MS) return;
                out.printf(Locale.ROOT, "fallow demo: %s gave up waiting for memory after %d s%n", spec.name(), MEMORY_WAIT_MS / 1000);
                g.exit = -1;
                series.event(System.currentTimeMillis(), spec.name() + " not started");
                return;
            }
            try {
                g.domain = ts.create(spec);
            } catch (IOException e) {
                out.println("fallow demo: creating " + spec.name() + " failed: " + e.getMessage());
                g.exit = -1;
                series.event(System.currentTimeMillis(), spec.name() + " not created");
                return;
            }
            int domid = g.domain.domid();
            last = ts.sample();
            series.name(domid, spec.name());
            plan.put(domid, new DemoReport.Planned(spec.name(), roleText(spec), spec.memoryMiB(), spec.maxmemMiB()));
            g.process = children.start(spec.name(), List.of("-Xmx128m"),
                    DemoLaunch.guest(ctx, scenario, spec, g.domain, outDir.resolve("logs").resolve(spec.name() + ".stats.json")),
                    DemoLaunch.guestEnv(g.domain));
            series.event(System.currentTimeMillis(), spec.name() + " starts");
            out.printf(Locale.ROOT, "fallow demo: dom%d %s (%s, %s) started%n", domid, spec.name(), roleText(spec),
                    spec.maxmemMiB() > spec.memoryMiB() ? spec.memoryMiB() + "/" + spec.maxmemMiB() + " MiB" : spec.memoryMiB() + " MiB");
        }
        if (g.started() && spec.role() == Scenario.Role.PAGED && g.pager == null && g.exit == null && g.domain != null
                && elapsed >= spec.startMs() + spec.pagingStartMs()) {
            int domid = g.domain.domid();
            g.pager = children.start(spec.name() + "-xenpaging", List.of("-Xmx128m"),
                    DemoLaunch.xenpaging(ctx, domid, runDir.resolve("pagefile-" + domid)));
            ts.setPagingTarget(domid, spec.actmemMiB());
            series.event(System.currentTimeMillis(), "xenpaging " + spec.name() + " to " + spec.actmemMiB() + " MiB");
            out.printf(Locale.ROOT, "fallow demo: xenpaging dom%d %s down to actmem %d MiB%n", domid, spec.name(), spec.actmemMiB());
        }
        if (g.started() && g.exit == null && !g.process.alive()) {
            g.exit = g.process.process().exitValue();
            series.event(System.currentTimeMillis(), spec.name() + (g.exit == 0 ? " done" : " failed"));
            out.printf(Locale.ROOT, "fallow demo: %s %s (exit %d); destroying dom%d%n", spec.name(),
                    g.exit == 0 ? "finished" : interrupted ? "stopped" : "FAILED", g.exit, g.domain.domid());
            if (g.exit != 0 && !interrupted) out.println(ChildProcesses.tail(g.process, 5).indent(4).stripTrailing());
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
        String report = DemoReport.render(series, plan, scenario.configuredMiB(), notStarted);
        Path reportFile = outDir.resolve("report.txt");
        SafeFiles.writeAtomically(reportFile, report);
        Path jsonl = outDir.resolve("samples.jsonl");
        Path csv = outDir.resolve("samples.csv");
        SamplesWriter.writeJsonLines(series, jsonl);
        SamplesWriter.writeCsv(series, csv);
        MemoryChart.Files2 chart = MemoryChart.write(series, String.format(Locale.ROOT,
                "Fallow: %d MiB of guests on a %d MiB host", scenario.configuredMiB(), scenario.hostMiB()), outDir, "memory");
        return new Result(series, report, reportFile, chart.png(), chart.svg(), jsonl, csv, exits, failure);
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
