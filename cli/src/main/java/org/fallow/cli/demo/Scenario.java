package org.fallow.cli.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The demo's scenario: host size, timings and the guests to run. The embedded default is
 * {@code org/fallow/cli/demo/scenario.properties}; a file ({@code --scenario}) and single keys ({@code --set k=v})
 * override it, in that order.
 *
 * <pre>
 * host.mib, run.seconds, sample.ms, progress.ms
 * time.scale                        guest clock = wall clock x this (Linux's 5 s selfballoon interval passes in 5/x s)
 * guests = name,name,...           (start order)
 * guest.NAME.role                   pod | tmem | paged | plain
 * guest.NAME.memory.mib             initial allocation (PoD target for role pod)
 * guest.NAME.maxmem.mib             static maximum (defaults to memory)
 * guest.NAME.actmem.mib             paging target for role paged (xenpaging keeps this much resident)
 * guest.NAME.workload               the guest's workload (zipf-files, anon-grow, kbuild)
 * guest.NAME.start.ms               delay from the demo's start
 * guest.NAME.seconds                wall seconds its workload runs (defaults to run.seconds)
 * guest.NAME.paging.start.ms        role paged: when xenpaging starts, after the guest started
 * guest.NAME.args                   guest arguments beyond the ids and timing (--cleancache, --selfballoon, ...)
 * </pre>
 */
public record Scenario(long hostMiB, double runSeconds, long sampleMs, long progressMs, double timeScale,
                       List<Guest> guests) {
    public static final String DEFAULT_RESOURCE = "/org/fallow/cli/demo/scenario.properties";

    public enum Role { POD, TMEM, PAGED, PLAIN }

    /** One guest of the scenario. */
    public record Guest(String name, Role role, long memoryMiB, long maxmemMiB, long actmemMiB, String workload,
                        long startMs, double seconds, long pagingStartMs, List<String> extraArgs) { }

    /** Loads the embedded default, then the file (if any), then the single-key overrides. */
    public static Scenario load(Path file, Map<String, String> overrides) throws IOException {
        Properties p = new Properties();
        try (InputStream in = Scenario.class.getResourceAsStream(DEFAULT_RESOURCE)) {
            if (in == null) throw new IOException("embedded scenario " + DEFAULT_RESOURCE + " is missing");
            p.load(in);
        }
        if (file != null) {
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            }
        }
        overrides.forEach(p::setProperty);
        return from(p);
    }

    public static Scenario from(Properties p) {
        double run = dbl(p, "run.seconds", 40);
        List<Guest> guests = new ArrayList<>();
        for (String name : list(p.getProperty("guests", ""))) {
            String k = "guest." + name + ".";
            Role role = Role.valueOf(p.getProperty(k + "role", "plain").trim().toUpperCase(java.util.Locale.ROOT));
            long mem = lng(p, k + "memory.mib", 32);
            long max = lng(p, k + "maxmem.mib", mem);
            if (max < mem) throw new IllegalArgumentException(k + "maxmem.mib (" + max + ") < memory.mib (" + mem + ")");
            long act = lng(p, k + "actmem.mib", role == Role.PAGED ? Math.max(1, mem / 4) : 0);
            guests.add(new Guest(name, role, mem, max, act, p.getProperty(k + "workload", "idle").trim(),
                    lng(p, k + "start.ms", 0), dbl(p, k + "seconds", run), lng(p, k + "paging.start.ms", 3000),
                    list(p.getProperty(k + "args", "").replace(' ', ','))));
        }
        if (guests.isEmpty()) throw new IllegalArgumentException("the scenario names no guests (key 'guests')");
        return new Scenario(lng(p, "host.mib", 256), run, lng(p, "sample.ms", 250), lng(p, "progress.ms", 1000),
                dbl(p, "time.scale", 5), List.copyOf(guests));
    }

    /** Sum of the guests' static maxima, MiB (what they could all ask for at once). */
    public long configuredMiB() {
        long n = 0;
        for (Guest g : guests) n += g.maxmemMiB();
        return n;
    }

    private static List<String> list(String s) {
        return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    }

    private static long lng(Properties p, String key, long dflt) {
        String v = p.getProperty(key);
        if (v == null || v.isBlank()) return dflt;
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": not an integer: " + v);
        }
    }

    private static double dbl(Properties p, String key, double dflt) {
        String v = p.getProperty(key);
        if (v == null || v.isBlank()) return dflt;
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": not a number: " + v);
        }
    }
}
