package org.fallow.cli.demo;

import org.fallow.cli.chart.SyntheticSeries;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class DemoReportTest {
    @Test
    void reportsPeaksAndEndValuesPerGuest() {
        String report = DemoReport.render(SyntheticSeries.build(), Map.of(
                1, new DemoReport.Planned("pod", "PoD boot", 16, 32),
                2, new DemoReport.Planned("cache", "cleancache", 16, 16),
                3, new DemoReport.Planned("paged", "xenpaging", 16, 16)));
        assertTrue(report.startsWith("Host 64 MiB; guests configured for 64 MiB in total (1.00x the host); 20 samples over 9.5 s"), report);
        // pod: tot - cache + entries = 7192 - 30i; cache: tot = 2048 + (i%5)*100; paged (i >= 3): tot + paged = 3000
        // peak at i = 4: 7072 + 2448 + 3000 = 12520 pages = 48.9 MiB, 0.76x the 64 MiB host, at 2.0 s
        assertTrue(report.contains("peak 48.9 MiB at 2.0 s, 0.76x the host"), report);
        String podRow = line(report, "pod");
        // tot peak: 4096+19*50 pages = 19.7 MiB; PoD entries peak 16.0 MiB; cache peak 1000 pages = 3.9 MiB
        assertTrue(podRow.matches("\\s*1\\s+pod\\s+PoD boot\\s+16/32\\s+19\\.7\\s+19\\.7\\s+16\\.0\\s+3\\.9\\s.*"), podRow);
        String paged = line(report, "paged");
        // paged peak 18*60 pages... end value at i=19: 1140 pages = 4.5 MiB; state at end "c"
        assertTrue(paged.contains(" 4.5 ") && paged.trim().endsWith("c"), paged);
        String cache = line(report, "cache");
        // eph hit at end: found 40+19*15=325 of 100+19*20=480 gets = 68%; persistent 10/10 = 100%
        assertTrue(cache.contains("68%") && cache.contains("100%"), cache);
    }

    private static String line(String report, String guest) {
        return report.lines().filter(l -> l.matches("\\s*\\d+\\s+" + guest + "\\s.*")).findFirst().orElseThrow(() -> new AssertionError(report));
    }
}
