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
 * The demo's scenario: host size, pacing and the guests to run. The embedded default is
 * {@code org/fallow/cli/demo/scenario.properties}; a file ({@code --scenario}) and single keys ({@code --set k=v})
 * override it, in that order.
 *
 * <p>Nothing in a scenario is a deadline. Every guest ends when it has done its {@code ops} workload operations (scaled
 * by {@code work}); a guest starts once the guest before it is up (booted; for the paged guest: paged down) and the host
 * has its memory. On a busy machine the demo takes longer and does the same work.
 *
 * <pre>
 * host.mib, sample.ms, progress.ms
 * time.scale                        guest clock = wall clock x this (Linux's 5 s selfballoon interval passes in 5/x s)
 * work                              factor on every guest's ops (default 1; --quick uses less)
 * hang.minutes                      a guest whose log has not grown for this long is reported as hung and stopped
 * guests = name,name,...           (start order)
 * guest.NAME.role                   pod | tmem | paged | plain
 * guest.NAME.memory.mib             initial allocation (PoD target for role pod)
 * guest.NAME.maxmem.mib             static maximum (defaults to memory)
 * guest.NAME.actmem.mib             paging target for role paged (xenpaging keeps this much resident)
 * guest.NAME.workload               the guest's workload (zipf-files, anon-grow, kbuild)
 * guest.NAME.ops                    workload operations: the guest's work, after which it shuts down
 * guest.NAME.start.ms               delay after the previous guest is up (the first: after the hypervisor is)
 * guest.NAME.paging.start.ms        role paged: when xenpaging starts, after the guest booted
 * guest.NAME.args                   guest arguments beyond the ids and timing (--cleancache, --selfballoon, ...)
 * </pre>
 */
public record Scenario(long hostMiB, long sampleMs, long progressMs, double timeScale, double work, double hangMinutes,
                       List<Guest> guests) {
    public static final String DEFAULT_RESOURCE = "/org/fallow/cli/demo/scenario.properties";

    public enum Role { POD, TMEM, PAGED, PLAIN }

    /** One guest of the scenario; {@code ops} is already scaled by the scenario's {@code work}. */
    public record Guest(String name, Role role, long memoryMiB, long maxmemMiB, long actmemMiB, String workload,
                        long startMs, long ops, long pagingStartMs, List<String> extraArgs) { }

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
        double work = dbl(p, "work", 1);
        if (!(work > 0)) throw new IllegalArgumentException("work must be > 0 (a factor on every guest's ops): " + work);
        List<Guest> guests = new ArrayList<>();
        for (String name : list(p.getProperty("guests", ""))) {
            String k = "guest." + name + ".";
            Role role;
            try {
                role = Role.valueOf(p.getProperty(k + "role", "plain").trim().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(k + "role: one of pod, tmem, paged, plain: " + p.getProperty(k + "role"));
            }
            long mem = lng(p, k + "memory.mib", 32);
            long max = lng(p, k + "maxmem.mib", mem);
            if (mem <= 0) throw new IllegalArgumentException(k + "memory.mib must be > 0: " + mem);
            if (max < mem) throw new IllegalArgumentException(k + "maxmem.mib (" + max + ") < memory.mib (" + mem + ")");
            long act = lng(p, k + "actmem.mib", role == Role.PAGED ? Math.max(1, mem / 4) : 0);
            long ops = Math.max(1, Math.round(lng(p, k + "ops", 200_000) * work));
            guests.add(new Guest(name, role, mem, max, act, p.getProperty(k + "workload", "zipf-files").trim(),
                    lng(p, k + "start.ms", 0), ops, lng(p, k + "paging.start.ms", 0),
                    list(p.getProperty(k + "args", "").replace(' ', ','))));
        }
        if (guests.isEmpty()) throw new IllegalArgumentException("the scenario names no guests (key 'guests')");
        double hang = dbl(p, "hang.minutes", 10);
        if (!(hang > 0)) throw new IllegalArgumentException("hang.minutes must be > 0: " + hang);
        return new Scenario(lng(p, "host.mib", 256), lng(p, "sample.ms", 250), lng(p, "progress.ms", 1000),
                dbl(p, "time.scale", 5), work, hang, List.copyOf(guests));
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
