package org.fallow.cli.demo;

import org.fallow.abi.fs.SafeFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code fallow demo}: the over-commit demo on the embedded default scenario (see {@link Scenario}).
 * With no options it runs on a fresh clone; the report, samples, logs and chart go to {@code ./demo-out}.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs the hypervisor and several guests whose memory adds up to more than the host (PoD boot,",
                "cleancache/frontswap/selfballoon guests, a guest paged down to its actmem by xenpaging), shows",
                "progress, and ends with a report table and a memory-over-time chart (PNG and SVG)."})
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", paramLabel = "DIR", defaultValue = "demo-out", description = "Results directory (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--scenario", paramLabel = "FILE", description = "Properties file overriding the embedded scenario.")
    Path scenarioFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one scenario key (repeatable), e.g. --set guest.paged.actmem.mib=8.")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Option(names = "--host-mib", paramLabel = "MIB", description = "Host memory (overrides host.mib).")
    Long hostMiB;

    @Option(names = "--work", paramLabel = "X", description = "Factor on every guest's work (overrides the scenario's 'work'; 0.5 = half).")
    Double work;

    @Option(names = "--quick", description = "A short run that still shows every mechanism (less work per guest, no start delays).")
    boolean quick;

    @Option(names = "--print-scenario", description = "Print the effective scenario and exit.")
    boolean printScenario;

    /** --quick's factor on every guest's work. */
    public static final String QUICK_WORK = "0.3";

    /** The scenario after the embedded default, --scenario, --set and the shorthand options. */
    public Scenario scenario() throws IOException {
        Map<String, String> o = new LinkedHashMap<>(overrides);
        Scenario base = Scenario.load(scenarioFile, o);
        if (quick) {
            o.putIfAbsent("work", QUICK_WORK);
            for (Scenario.Guest g : base.guests()) {
                o.putIfAbsent("guest." + g.name() + ".start.ms", "0");
                o.putIfAbsent("guest." + g.name() + ".paging.start.ms", "0");
            }
        }
        if (hostMiB != null) o.put("host.mib", Long.toString(hostMiB));
        if (work != null) o.put("work", Double.toString(work));
        return Scenario.load(scenarioFile, o);
    }

    @Override public Integer call() throws Exception {
        Scenario s = scenario();
        if (printScenario) {
            System.out.printf(java.util.Locale.ROOT, "host %d MiB, work x%.2f, sample every %d ms, guest clock x%.1f%n",
                    s.hostMiB(), s.work(), s.sampleMs(), s.timeScale());
            for (Scenario.Guest g : s.guests())
                System.out.printf(java.util.Locale.ROOT, "  %-10s %-6s memory %d MiB, maxmem %d MiB%s, %s, %d ops, start %d ms after the previous guest is up, args %s%n",
                        g.name(), g.role().name().toLowerCase(java.util.Locale.ROOT), g.memoryMiB(), g.maxmemMiB(),
                        g.role() == Scenario.Role.PAGED ? ", actmem " + g.actmemMiB() + " MiB (paging " + g.pagingStartMs() + " ms after boot)" : "",
                        g.workload(), g.ops(), g.startMs(), String.join(" ", g.extraArgs()));
            return 0;
        }
        // the guests' memory and page files: on /dev/shm when it has room for them (docs/SECURITY.md rule 10)
        Path runDir = org.fallow.abi.fs.MemoryFileStore.createScratchDir("fallow-demo-", 2 * (s.hostMiB() << 20));
        DemoRunner runner = new DemoRunner(s, out, runDir, XcDemoToolstack::open, System.out);
        runner.afterRun(() -> SafeFiles.deleteTreeQuietly(runDir));
        DemoRunner.Result r = runner.run();
        return r.succeeded() ? 0 : 1;
    }
}
