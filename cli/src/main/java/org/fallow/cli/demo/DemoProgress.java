package org.fallow.cli.demo;

import org.fallow.cli.chart.MemorySeries;
import org.fallow.cli.stats.DomainSample;
import org.fallow.cli.stats.HostSample;
import org.fallow.cli.stats.Units;

import java.util.Locale;

/**
 * One compact progress line per interval: host free, tmem's ephemeral pages and its free list (pages tmem freed and
 * keeps for reuse, given back when the host needs them), then each guest's tot_pages with what else it has
 * (PoD entries of at least 1 MiB, pages paged out, tmem pages, a state other than running), all in MiB.
 */
public final class DemoProgress {
    private DemoProgress() { }

    public static String line(MemorySeries series, HostSample s) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "[%5.1fs] free %5s MiB  tmem %5s + free list %5s |",
                series.seconds(s.timeMillis()), Units.mibText(s.freePages()), Units.mibText(s.tmemEphPages()),
                Units.mibText(s.tmemFreeListPages())));
        for (DomainSample d : s.domains()) {
            if (d.domid() == 0) continue;
            sb.append(' ').append(series.name(d.domid())).append(' ').append(Units.mibText(d.totPages()));
            StringBuilder extra = new StringBuilder();
            if (d.podEntries() >= Units.PAGES_PER_MIB) extra.append("pod ").append(Units.mibText(d.podEntries())).append(' ');
            if (d.pagedPages() > 0) extra.append("out ").append(Units.mibText(d.pagedPages())).append(' ');
            long tmem = Math.max(0, d.tmemEphPages()) + Math.max(0, d.tmemPersPages());
            if (tmem > 0) extra.append("tmem ").append(Units.mibText(tmem)).append(' ');
            if (!d.state().startsWith("r")) extra.append(d.state()).append(' ');
            if (!extra.isEmpty()) sb.append('(').append(extra.toString().strip()).append(')');
        }
        return sb.toString();
    }
}
