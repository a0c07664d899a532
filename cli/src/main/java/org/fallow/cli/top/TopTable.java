package org.fallow.cli.top;

import org.fallow.cli.stats.DomainSample;
import org.fallow.cli.stats.HostSample;
import org.fallow.cli.stats.Units;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

/** Renders a {@link HostSample} as the text table of {@code fallow top} (figures in MiB, or pages with --pages). */
public final class TopTable {
    static final String[] HEADERS = {"DOM", "NAME", "STATE", "TOT", "MAX", "POD-ENT", "POD-CACHE", "PAGED",
            "TMEM-EPH", "TMEM-PERS", "EPH-HIT", "PERS-HIT"};
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

    private final boolean pages;
    private final IntFunction<String> names;

    /** @param names a display name per domid (the demo's guest names), or null for none */
    public TopTable(boolean pages, IntFunction<String> names) {
        this.pages = pages;
        this.names = names == null ? d -> d == 0 ? "Domain-0" : "" : names;
    }

    public String render(HostSample s) {
        String unit = pages ? "pages" : "MiB";
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "fallow top  %s UTC  host %s %s: free %s, domains %s, tmem ephemeral %s (freeable %s), other %s%n",
                CLOCK.format(Instant.ofEpochMilli(s.timeMillis())), amount(s.totalPages()), unit, amount(s.freePages()),
                amount(s.domainPages()), amount(s.tmemEphPages()), amount(s.tmemFreeablePages()), amount(s.otherPages())));
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADERS);
        for (DomainSample d : s.domains()) {
            rows.add(new String[]{Integer.toString(d.domid()), names.apply(d.domid()), d.state(), amount(d.totPages()),
                    amount(d.maxPages()), amount(d.podEntries()), amount(d.podCache()), amount(d.pagedPages()),
                    amount(d.tmemEphPages()), amount(d.tmemPersPages()), Units.percent(d.ephHitRate()),
                    Units.percent(d.persHitRate())});
        }
        sb.append(TextTable.format(rows, 2));
        return sb.toString();
    }

    private String amount(long p) { return pages ? Units.pagesText(p) : Units.mibText(p); }
}
