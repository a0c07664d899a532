package org.fallow.cli.demo;

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
                         Map<String, Integer> guestExitCodes) { }

    private final Scenario scenario;
    private final Path outDir;
    private final Path runDir;
    private final ToolstackFactory toolstacks;
    private final PrintStream out;

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

        boolean started() { return process != null; }

        boolean finished() { return exit != null; }
    }

    public Result run() throws Exception {
        Files.createDirectories(outDir);
        Files.createDirectories(runDir);
        RunContext ctx = RunContext.resolve(runDir, null, Map.of());
        long t0 = System.currentTimeMillis();
        MemorySeries series = new MemorySeries(t0);
        series.level("guests' maxmem: " + scenario.configuredMiB() + " MiB", scenario.configuredMiB() * 256);
        List<GuestRun> guests = new ArrayList<>();
        for (Scenario.Guest g : scenario.guests()) guests.add(new GuestRun(g));
        Map<Integer, DemoReport.Planned> plan = new LinkedHashMap<>();
        Map<String, Integer> exits = new LinkedHashMap<>();

        out.printf(Locale.ROOT, "fallow demo: host %d MiB, %d guests configured for %d MiB (%.2fx); output in %s%n",
                scenario.hostMiB(), guests.size(), scenario.configuredMiB(), scenario.configuredMiB() / (double) scenario.hostMiB(), outDir);
        try (ChildProcesses children = new ChildProcesses(outDir.resolve("logs"),
                Map.of("FALLOW_RUN_DIR", runDir.toString()), List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"))) {
            ChildProcesses.Child hv = children.start("hypervisor", List.of("-Xmx256m"), DemoLaunch.hypervisor(ctx, scenario.hostMiB()));
            awaitSocket(ctx.socket(), hv, 60_000);
            series.event(System.currentTimeMillis(), "hypervisor up");
            try (DemoToolstack ts = toolstacks.open(ctx)) {
                long endAt = t0 + Math.round(scenario.runSeconds() * 1000) + 15_000; // grace for the last guest's exit
                long nextProgress = 0;
                while (true) {
                    long now = System.currentTimeMillis();
                    for (GuestRun g : guests) step(g, ts, ctx, children, series, plan, now - t0);
                    HostSample s = ts.sample();
                    series.add(s);
                    if (now >= nextProgress) {
                        out.println(DemoProgress.line(series, s));
                        nextProgress = now + scenario.progressMs();
                    }
                    boolean allDone = guests.stream().allMatch(GuestRun::finished);
                    if (allDone || now > endAt) {
                        if (!allDone) out.println("fallow demo: time is up; stopping the remaining guests");
                        break;
                    }
                    Thread.sleep(scenario.sampleMs());
                }
                for (GuestRun g : guests) {
                    if (g.process != null && g.exit == null) g.exit = ChildProcesses.stop(g.process, 5000);
                    if (g.process != null) exits.put(g.spec.name(), g.exit);
                }
                series.add(ts.sample());
                for (GuestRun g : guests) {
                    if (g.pager != null) ChildProcesses.stop(g.pager, 10_000);
                    if (g.domain != null) {
                        try {
                            ts.destroy(g.domain.domid());
                        } catch (IOException e) {
                            LOG.warn("destroying dom{}: {}", g.domain.domid(), e.toString());
                        }
                    }
                }
            }
            ChildProcesses.stop(hv, 10_000);
        }
        return finish(series, plan, exits);
    }

    /** Advances one guest: create + start when due, start paging when due, notice its exit. */
    private void step(GuestRun g, DemoToolstack ts, RunContext ctx, ChildProcesses children, MemorySeries series,
                      Map<Integer, DemoReport.Planned> plan, long elapsed) throws IOException {
        Scenario.Guest spec = g.spec;
        if (!g.started() && elapsed >= spec.startMs()) {
            g.domain = ts.create(spec);
            int domid = g.domain.domid();
            series.name(domid, spec.name());
            plan.put(domid, new DemoReport.Planned(spec.name(), roleText(spec), spec.memoryMiB(), spec.maxmemMiB()));
            g.process = children.start(spec.name(), List.of("-Xmx128m"),
                    DemoLaunch.guest(ctx, scenario, spec, g.domain, outDir.resolve("logs").resolve(spec.name() + ".stats.json")));
            series.event(System.currentTimeMillis(), spec.name() + " starts");
            out.printf(Locale.ROOT, "fallow demo: dom%d %s (%s, %s) started%n", domid, spec.name(), roleText(spec),
                    spec.maxmemMiB() > spec.memoryMiB() ? spec.memoryMiB() + "/" + spec.maxmemMiB() + " MiB" : spec.memoryMiB() + " MiB");
        }
        if (g.started() && spec.role() == Scenario.Role.PAGED && g.pager == null && g.exit == null
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
            out.printf(Locale.ROOT, "fallow demo: %s %s (exit %d)%n", spec.name(), g.exit == 0 ? "finished" : "FAILED", g.exit);
            if (g.exit != 0) out.println(ChildProcesses.tail(g.process, 5).indent(4).stripTrailing());
        }
    }

    static String roleText(Scenario.Guest g) {
        return switch (g.role()) {
            case POD -> "PoD boot";
            case TMEM -> "tmem " + g.workload();
            case PAGED -> "xenpaging to " + g.actmemMiB() + " MiB";
            case PLAIN -> g.workload();
        };
    }

    private Result finish(MemorySeries series, Map<Integer, DemoReport.Planned> plan, Map<String, Integer> exits) throws IOException {
        String report = DemoReport.render(series, plan);
        Path reportFile = outDir.resolve("report.txt");
        Files.writeString(reportFile, report);
        Path jsonl = outDir.resolve("samples.jsonl");
        Path csv = outDir.resolve("samples.csv");
        SamplesWriter.writeJsonLines(series, jsonl);
        SamplesWriter.writeCsv(series, csv);
        MemoryChart.Files2 chart = MemoryChart.write(series, String.format(Locale.ROOT,
                "Fallow: %d MiB of guests on a %d MiB host", scenario.configuredMiB(), scenario.hostMiB()), outDir, "memory");
        return new Result(series, report, reportFile, chart.png(), chart.svg(), jsonl, csv, exits);
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
