package org.fallow.hypervisor.core;

import org.slf4j.Logger;
import org.slf4j.event.Level;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Log lines for repeated bad input (WARN, or INFO/ERROR by {@link #log(Level, String, String, String, Object...)}),
 * with a bound: per kind of message ({@code key}) and period, at most
 * {@code burst} lines for each source (a connection) and {@code ceiling} lines in all; the rest are counted and
 * summarised in one line per kind ("... N more like this suppressed in the last 10 s, T in all") when the period ends
 * (at the next message of that kind, or at {@link #flush}). So a client that sends a million bad frames costs a few
 * log lines, not a million, one client's flood does not hide another's first error, and the operator still learns how
 * many there were.
 */
public final class RateLimitedLog {
    private static final int MAX_SOURCES = 1024;

    private final Logger log;
    private final int burst;
    private final int ceiling;
    private final long periodNanos;
    private final Map<String, Window> windows = new HashMap<>();
    /** Lines logged per (kind, source) in the kind's current period; least recently used sources forgotten. */
    private final Map<String, long[]> sources = new LinkedHashMap<>(64, 0.75f, true) {
        @Override protected boolean removeEldestEntry(Map.Entry<String, long[]> e) { return size() > MAX_SOURCES; }
    };
    private long suppressedTotal;

    private static final class Window {
        long period;
        long start;
        int logged;
        long suppressed;
        long total;
    }

    /** {@code burst} lines per source and 10x that in all, per kind and period. */
    public RateLimitedLog(Logger log, int burst, long periodNanos) { this(log, burst, 10 * burst, periodNanos); }

    public RateLimitedLog(Logger log, int burst, int ceiling, long periodNanos) {
        this.log = log;
        this.burst = burst;
        this.ceiling = ceiling;
        this.periodNanos = periodNanos;
    }

    /** As {@link #warn(String, String, String, Object...)} with no particular source. */
    public void warn(String key, String format, Object... args) { warn(key, "", format, args); }

    /** Logs {@code format} at WARN unless {@code key} already had its lines this period (then counts it). */
    public void warn(String key, String source, String format, Object... args) { log(Level.WARN, key, source, format, args); }

    /** As {@link #warn(String, String, String, Object...)} at INFO. */
    public void info(String key, String source, String format, Object... args) { log(Level.INFO, key, source, format, args); }

    /** As {@link #warn(String, String, String, Object...)} at ERROR (a trailing Throwable argument is printed). */
    public void error(String key, String source, String format, Object... args) { log(Level.ERROR, key, source, format, args); }

    /** Logs {@code format} at {@code level} unless {@code key} already had its lines this period (then counts it). */
    public synchronized void log(Level level, String key, String source, String format, Object... args) {
        long now = System.nanoTime();
        Window w = windows.get(key);
        if (w == null) {
            if (windows.size() >= MAX_SOURCES) windows.clear(); // kinds are a handful of constants; never grows
            w = new Window();
            w.start = now;
            windows.put(key, w);
        } else if (now - w.start >= periodNanos) {
            roll(key, w, now);
        }
        w.total++;
        long[] s = sources.computeIfAbsent(key + '\0' + source, k -> new long[2]);
        if (s[0] != w.period) {
            s[0] = w.period;
            s[1] = 0;
        }
        if (s[1] < burst && w.logged < ceiling) {
            s[1]++;
            w.logged++;
            log.atLevel(level).log(format, args);
        } else {
            w.suppressed++;
            suppressedTotal++;
        }
    }

    /** Writes the summary line of every kind whose period is over (a periodic timer calls this). */
    public synchronized void flush() {
        long now = System.nanoTime();
        for (var e : windows.entrySet()) {
            Window w = e.getValue();
            if (w.suppressed > 0 && now - w.start >= periodNanos) roll(e.getKey(), w, now);
        }
    }

    private void roll(String key, Window w, long now) {
        if (w.suppressed > 0) {
            log.warn("{}: {} more like this suppressed in the last {} s ({} in all)", key, w.suppressed,
                    Math.max(1, (now - w.start) / 1_000_000_000L), w.total);
        }
        w.suppressed = 0;
        w.logged = 0;
        w.period++;
        w.start = now;
    }

    /** Messages counted but not logged, over the whole run. */
    public synchronized long suppressed() { return suppressedTotal; }

    /** Messages of {@code key} seen so far (logged or not). */
    public synchronized long count(String key) {
        Window w = windows.get(key);
        return w == null ? 0 : w.total;
    }
}
