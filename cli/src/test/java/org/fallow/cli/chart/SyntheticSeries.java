package org.fallow.cli.chart;

import org.fallow.cli.stats.DomainSample;
import org.fallow.cli.stats.HostSample;

import java.util.ArrayList;
import java.util.List;

/** A made-up but self-consistent run for the chart and report tests: 3 guests on a 64 MiB host, 20 samples. */
public final class SyntheticSeries {
    private SyntheticSeries() { }

    public static MemorySeries build() {
        long t0 = 1_000_000L;
        MemorySeries s = new MemorySeries(t0);
        s.name(1, "pod");
        s.name(2, "cache");
        s.name(3, "paged");
        long host = 64 * 256;
        for (int i = 0; i < 20; i++) {
            List<DomainSample> doms = new ArrayList<>();
            long pod = 4096 + i * 50;
            doms.add(DomainSample.basic(1, "r", pod, 8192, 0).withPod(4096 - i * 100L, 1000 - i * 20L));
            long cache = 2048 + (i % 5) * 100;
            doms.add(DomainSample.basic(2, "r", cache, 4096, 0).withTmem(300 + i * 10L, 50, 100 + i * 20L, 40 + i * 15L, 10, 10, 500, 60));
            if (i >= 3) doms.add(DomainSample.basic(3, i == 19 ? "c" : "r", 3000 - i * 60L, 4096, i * 60L));
            long used = 0;
            for (DomainSample d : doms) used += d.totPages();
            long eph = 300 + i * 10L;
            s.add(new HostSample(t0 + i * 500L, host, host - used - (eph + 20) - 16, eph, eph + 20, doms));
        }
        s.event(t0 + 1500, "paging target 8 MiB");
        s.level("guests configured: 80 MiB", 80 * 256);
        return s;
    }
}
