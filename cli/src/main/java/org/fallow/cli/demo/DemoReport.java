package org.fallow.cli.demo;

import org.fallow.cli.chart.MemorySeries;
import org.fallow.cli.stats.DomainSample;
import org.fallow.cli.stats.HostSample;
import org.fallow.cli.stats.Units;
import org.fallow.cli.top.TextTable;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * The end-of-run report: one row per guest with peaks and final values of what the hypervisor reported during the
 * run, plus a host summary. Configured sizes (what each guest asked for) are shown beside the measured figures.
 */
public final class DemoReport {
    private DemoReport() { }

    /** What a guest was configured with, by domid (for the "asked for" columns). */
    public record Planned(String name, String role, long memoryMiB, long maxmemMiB, String outcome) {
        public Planned(String name, String role, long memoryMiB, long maxmemMiB) { this(name, role, memoryMiB, maxmemMiB, null); }

        public Planned withOutcome(String o) { return new Planned(name, role, memoryMiB, maxmemMiB, o); }
    }

    public static String render(MemorySeries series, Map<Integer, Planned> plan) {
        long asked = 0;
        for (Planned p : plan.values()) asked += Math.max(p.memoryMiB(), p.maxmemMiB());
        return render(series, plan, asked, List.of());
    }

    /**
     * @param configuredMiB the sum of every scenario guest's maxmem (also those that never started)
     * @param notStarted    guests that were never created (shown after the table)
     */
    public static String render(MemorySeries series, Map<Integer, Planned> plan, long configuredMiB, List<String> notStarted) {
        List<HostSample> samples = series.samples();
        StringBuilder sb = new StringBuilder();
        if (samples.isEmpty()) return "no samples were taken\n";
        HostSample first = samples.getFirst(), last = samples.getLast();
        long asked = configuredMiB;
        double hostMiB = Units.mib(first.totalPages());
        sb.append(String.format(Locale.ROOT, "Host %.0f MiB; guests configured for %d MiB in total (%.2fx the host); %d samples over %.1f s%n",
                hostMiB, asked, asked / hostMiB, samples.size(), series.seconds(last.timeMillis())));
        sb.append(String.format(Locale.ROOT, "Host free: min %s MiB, final %s MiB (+ %s MiB on tmem's free list: pages tmem freed "
                        + "and keeps for reuse, given back when the host needs them); tmem ephemeral: peak %s MiB; domains: peak %s MiB%n",
                Units.mibText(min(samples, HostSample::freePages)), Units.mibText(last.freePages()),
                Units.mibText(last.tmemFreeListPages()),
                Units.mibText(max(samples, HostSample::tmemEphPages)), Units.mibText(max(samples, HostSample::domainPages))));
        HostSample peak = samples.getFirst();
        for (HostSample h : samples) if (h.guestVisiblePages() > peak.guestVisiblePages()) peak = h;
        sb.append(String.format(Locale.ROOT, "Guests' memory as they see it (populated + PoD entries + paged out): peak %s MiB at %.1f s, %.2fx the host%n",
                Units.mibText(peak.guestVisiblePages()), series.seconds(peak.timeMillis()), peak.guestVisiblePages() / (double) peak.totalPages()));
        sb.append('\n');
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"DOM", "GUEST", "ROLE", "MEM/MAXMEM", "TOT peak", "TOT end", "POD-ENT peak", "POD-CACHE peak",
                "PAGED peak", "PAGED end", "EPH peak", "PERS peak", "EPH-HIT", "PERS-HIT", "END"});
        for (int domid : series.domids()) {
            Planned p = plan.get(domid);
            DomainSample end = lastOf(samples, domid);
            rows.add(new String[]{Integer.toString(domid), series.name(domid), p == null ? "" : p.role(),
                    p == null ? "" : p.maxmemMiB() > p.memoryMiB() ? p.memoryMiB() + "/" + p.maxmemMiB() : Long.toString(p.memoryMiB()),
                    Units.mibText(dmax(samples, domid, DomainSample::totPages)),
                    Units.mibText(end == null ? -1 : end.totPages()),
                    Units.mibText(dmax(samples, domid, DomainSample::podEntries)),
                    Units.mibText(dmax(samples, domid, DomainSample::podCache)),
                    Units.mibText(dmax(samples, domid, DomainSample::pagedPages)),
                    Units.mibText(end == null ? -1 : end.pagedPages()),
                    Units.mibText(dmax(samples, domid, DomainSample::tmemEphPages)),
                    Units.mibText(dmax(samples, domid, DomainSample::tmemPersPages)),
                    end == null ? "-" : Units.percent(end.ephHitRate()),
                    end == null ? "-" : Units.percent(end.persHitRate()),
                    p != null && p.outcome() != null ? p.outcome() : end == null ? "gone" : end.state()});
        }
        sb.append("Per guest (MiB; peaks and end values as reported by the hypervisor):\n");
        sb.append(TextTable.format(rows, 2));
        if (!notStarted.isEmpty()) sb.append("Not started (no memory for them in time, or their build failed): ")
                .append(String.join(", ", notStarted)).append('\n');
        return sb.toString();
    }

    /** The latest sample in which the domain appears. */
    static DomainSample lastOf(List<HostSample> samples, int domid) {
        for (int i = samples.size() - 1; i >= 0; i--) {
            DomainSample d = samples.get(i).domain(domid);
            if (d != null) return d;
        }
        return null;
    }

    static long dmax(List<HostSample> samples, int domid, ToLongFunction<DomainSample> f) {
        long m = -1;
        for (HostSample s : samples) {
            DomainSample d = s.domain(domid);
            if (d != null) m = Math.max(m, f.applyAsLong(d));
        }
        return m;
    }

    static long max(List<HostSample> samples, ToLongFunction<HostSample> f) {
        long m = -1;
        for (HostSample s : samples) m = Math.max(m, f.applyAsLong(s));
        return m;
    }

    static long min(List<HostSample> samples, ToLongFunction<HostSample> f) {
        long m = Long.MAX_VALUE;
        for (HostSample s : samples) m = Math.min(m, f.applyAsLong(s));
        return m == Long.MAX_VALUE ? -1 : m;
    }
}
