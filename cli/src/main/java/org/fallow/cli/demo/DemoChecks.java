package org.fallow.cli.demo;

import org.fallow.cli.chart.MemorySeries;
import org.fallow.cli.stats.DomainSample;
import org.fallow.cli.stats.HostSample;
import org.fallow.cli.stats.Units;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * What the demo is there to show, checked on the hypervisor's own figures (never the guests'): a PoD boot, a guest
 * paged out by xenpaging, cleancache gets that hit, frontswap pages in a persistent pool, and a host that was never
 * exceeded although the guests' memory added up to more than it. Each check says what it saw.
 */
public final class DemoChecks {
    private DemoChecks() { }

    /** One mechanism: whether it was seen, and the evidence. */
    public record Check(String name, boolean seen, String evidence) {
        String line() { return String.format(Locale.ROOT, "  %-4s %-22s %s", seen ? "yes" : "NO", name, evidence); }
    }

    /** The checks that apply to the scenario (a mechanism no guest is configured for is not checked). */
    public static List<Check> evaluate(MemorySeries series, Map<Integer, DemoReport.Planned> plan, Scenario scenario) {
        List<HostSample> samples = series.samples();
        List<Check> out = new ArrayList<>();
        List<Scenario.Guest> gs = scenario.guests();
        if (gs.stream().anyMatch(g -> g.role() == Scenario.Role.POD && g.maxmemMiB() > g.memoryMiB())) {
            long pod = peak(samples, d -> roleOf(plan, d).equals("PoD boot"), DomainSample::podEntries);
            out.add(new Check("PoD boot", pod > 0, "peak PoD entries of the PoD-booted guest " + Units.mibText(Math.max(0, pod)) + " MiB"));
        }
        if (gs.stream().anyMatch(g -> g.role() == Scenario.Role.PAGED)) {
            long paged = peak(samples, d -> roleOf(plan, d).startsWith("xenpaging"), DomainSample::pagedPages);
            out.add(new Check("paging (xenpaging)", paged > 0, "peak paged out " + Units.mibText(Math.max(0, paged)) + " MiB"));
        }
        if (gs.stream().anyMatch(g -> g.extraArgs().contains("--cleancache"))) {
            long hits = peak(samples, d -> true, DomainSample::ephGetsFound);
            long gets = peak(samples, d -> true, DomainSample::ephGets);
            out.add(new Check("cleancache hits", hits > 0, "most gets found by one guest " + Math.max(0, hits)
                    + " (of " + Math.max(0, gets) + " gets at most)"));
        }
        if (gs.stream().anyMatch(g -> g.extraArgs().contains("--frontswap"))) {
            long pers = peak(samples, d -> true, DomainSample::tmemPersPages);
            long puts = peak(samples, d -> true, DomainSample::persPuts);
            out.add(new Check("frontswap", pers > 0, "peak persistent tmem pages of one guest " + Units.mibText(Math.max(0, pers))
                    + " MiB (" + Math.max(0, puts) + " puts at most)"));
        }
        long worst = 0, total = samples.isEmpty() ? 0 : samples.getFirst().totalPages();
        HostSample peak = null;
        for (HostSample h : samples) {
            worst = Math.max(worst, h.domainPages());
            if (peak == null || h.guestVisiblePages() > peak.guestVisiblePages()) peak = h;
        }
        out.add(new Check("host never exceeded", !samples.isEmpty() && worst <= total, String.format(Locale.ROOT,
                "domains held at most %s of %s MiB while the guests saw up to %s MiB", Units.mibText(worst),
                Units.mibText(total), Units.mibText(peak == null ? 0 : peak.guestVisiblePages()))));
        return out;
    }

    public static boolean allSeen(List<Check> checks) { return checks.stream().allMatch(Check::seen); }

    public static String render(List<Check> checks) {
        StringBuilder sb = new StringBuilder("What the run showed (from the hypervisor's figures):\n");
        for (Check c : checks) sb.append(c.line()).append('\n');
        return sb.toString();
    }

    private static String roleOf(Map<Integer, DemoReport.Planned> plan, DomainSample d) {
        DemoReport.Planned p = plan.get(d.domid());
        return p == null ? "" : p.role();
    }

    private static long peak(List<HostSample> samples, Predicate<DomainSample> which, java.util.function.ToLongFunction<DomainSample> f) {
        long m = -1;
        for (HostSample h : samples)
            for (DomainSample d : h.domains()) if (which.test(d)) m = Math.max(m, f.applyAsLong(d));
        return m;
    }
}
