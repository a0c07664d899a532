package org.fallow.cli.chart;

import org.fallow.cli.stats.HostSample;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's time series: the sampled {@link HostSample}s, the display name of each domain, and the events to mark.
 * Time is measured from {@code startMillis}.
 */
public final class MemorySeries {
    private final long startMillis;
    private final List<HostSample> samples = new ArrayList<>();
    private final Map<Integer, String> names = new LinkedHashMap<>();
    private final List<DemoEvent> events = new ArrayList<>();
    private final Map<String, Long> levels = new LinkedHashMap<>();

    public MemorySeries(long startMillis) { this.startMillis = startMillis; }

    public synchronized void add(HostSample s) { samples.add(s); }

    public synchronized void name(int domid, String name) { names.put(domid, name); }

    public synchronized void event(long timeMillis, String label) { events.add(new DemoEvent(timeMillis, label)); }

    /** A horizontal reference level on the host plot, e.g. the sum of the guests' static maxima. */
    public synchronized void level(String label, long pages) { levels.put(label, pages); }

    public synchronized Map<String, Long> levels() { return Map.copyOf(levels); }

    public long startMillis() { return startMillis; }

    public synchronized List<HostSample> samples() { return List.copyOf(samples); }

    public synchronized List<DemoEvent> events() { return List.copyOf(events); }

    /** The display name of a domain: its configured name, or "dom<N>". */
    public synchronized String name(int domid) {
        String n = names.get(domid);
        return n != null ? n : domid == 0 ? "Domain-0" : "dom" + domid;
    }

    /** Every domid seen in any sample, in first-seen order. */
    public synchronized List<Integer> domids() {
        java.util.LinkedHashSet<Integer> ids = new java.util.LinkedHashSet<>(names.keySet());
        for (HostSample s : samples) s.domains().forEach(d -> ids.add(d.domid()));
        ids.removeIf(id -> samples.stream().noneMatch(s -> s.domain(id) != null));
        return List.copyOf(ids);
    }

    public double seconds(long timeMillis) { return (timeMillis - startMillis) / 1000.0; }
}
