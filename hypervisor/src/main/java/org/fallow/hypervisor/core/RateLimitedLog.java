package org.fallow.hypervisor.core;

import org.slf4j.Logger;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * WARN lines for repeated bad input with a bound: per kind of message ({@code key}), at most {@code burst} lines per
 * period; the rest are counted and summarised in one line ("... N more suppressed in the last 10 s, T in all") when
 * the period ends (at the next message of that kind, or at {@link #flush}). So a client that sends a million bad
 * frames costs a few log lines, not a million, and the operator still learns how many there were.
 */
public final class RateLimitedLog {
    private static final int MAX_KEYS = 256;

    private final Logger log;
    private final int burst;
    private final long periodNanos;
    private final Map<String, Window> windows = new LinkedHashMap<>(16, 0.75f, true) {
        @Override protected boolean removeEldestEntry(Map.Entry<String, Window> e) { return size() > MAX_KEYS; }
    };
    private long suppressedTotal;

    private static final class Window {
        long start;
        int logged;
        long suppressed;
        long total;
    }

    public RateLimitedLog(Logger log, int burst, long periodNanos) {
        this.log = log;
        this.burst = burst;
        this.periodNanos = periodNanos;
    }

    /** Logs {@code format} at WARN unless {@code key} already had its burst this period (then counts it). */
    public synchronized void warn(String key, String format, Object... args) {
        long now = System.nanoTime();
        Window w = windows.computeIfAbsent(key, k -> new Window());
        if (w.total == 0 || now - w.start >= periodNanos) {
            summarise(key, w, now);
            w.start = now;
            w.logged = 0;
        }
        w.total++;
        if (w.logged < burst) {
            w.logged++;
            log.warn(format, args);
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
            if (w.suppressed > 0 && now - w.start >= periodNanos) {
                summarise(e.getKey(), w, now);
                w.start = now;
                w.logged = 0;
            }
        }
    }

    private void summarise(String key, Window w, long now) {
        if (w.suppressed == 0) return;
        log.warn("{}: {} more like this suppressed in the last {} s ({} in all)", key, w.suppressed,
                Math.max(1, (now - w.start) / 1_000_000_000L), w.total);
        w.suppressed = 0;
    }

    /** Messages counted but not logged, over the whole run. */
    public synchronized long suppressed() { return suppressedTotal; }

    /** Messages of {@code key} seen so far (logged or not). */
    public synchronized long count(String key) {
        Window w = windows.get(key);
        return w == null ? 0 : w.total;
    }
}
