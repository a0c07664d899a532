package org.fallow.cli.top;

import org.fallow.cli.RunContext;
import org.fallow.cli.stats.HostSample;
import org.fallow.cli.stats.Json;
import org.fallow.cli.stats.SampleJson;
import org.fallow.cli.stats.ToolstackStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.concurrent.Callable;

/**
 * {@code fallow top}: a live view of every domain's memory as the hypervisor accounts it, redrawn in place with
 * plain ANSI escapes. {@code --once} prints one table; {@code --json} prints one JSON object per sample (JSON Lines).
 */
@Command(name = "top", mixinStandardHelpOptions = true,
        description = {"Live view of every domain's memory as the hypervisor accounts it (tot/max pages, PoD, tmem, paged out).",
                "Columns: tot_pages, max_pages, PoD entries and cache, pages paged out, tmem ephemeral and persistent pages,",
                "ephemeral and persistent get hit rates; header: host total/free (physinfo) and tmem's ephemeral/freeable pages."})
public final class TopCommand implements Callable<Integer> {
    @Option(names = {"-d", "--delay"}, paramLabel = "MS", defaultValue = "1000", description = "Refresh interval in ms (default ${DEFAULT-VALUE}).")
    long delayMs;

    @Option(names = "--once", description = "Print one sample and exit.")
    boolean once;

    @Option(names = {"-n", "--iterations"}, paramLabel = "N", defaultValue = "0", description = "Stop after N samples (0 = until interrupted).")
    int iterations;

    @Option(names = "--json", description = "One JSON object per sample instead of the table.")
    boolean json;

    @Option(names = "--pages", description = "Show 4 KiB pages instead of MiB.")
    boolean pages;

    @Override public Integer call() throws Exception {
        if (delayMs < 10) throw new IllegalArgumentException("--delay must be at least 10 ms");
        RunContext ctx = RunContext.current();
        PrintStream out = System.out;
        int limit = once ? 1 : iterations;
        boolean redraw = !json && limit != 1 && System.console() != null;
        try (ToolstackStats src = ToolstackStats.open(ctx)) {
            java.util.Map<Integer, String> names = new java.util.HashMap<>();
            TopTable table = new TopTable(pages, d -> names.computeIfAbsent(d, id -> {
                String n = src.name(id);
                return n == null ? "" : n;
            }));
            for (int i = 0; limit == 0 || i < limit; i++) {
                if (i > 0) Thread.sleep(delayMs);
                HostSample s = src.sample();
                if (json) out.println(Json.write(SampleJson.toMap(s)));
                else if (redraw) out.print("\033[H\033[2J" + table.render(s));
                else out.print(table.render(s) + (limit == 1 ? "" : "\n"));
                out.flush();
            }
        }
        return 0;
    }
}
