package org.fallow.cli.top;

import org.fallow.cli.stats.DomainSample;
import org.fallow.cli.stats.HostSample;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class TopTableTest {
    private static final HostSample SAMPLE = new HostSample(0, 65536, 1024, 512, 600, List.of(
            DomainSample.basic(0, "running", 0, 0, 0),
            DomainSample.basic(7, "running", 2560, 5120, 256).withPod(1024, 128).withTmem(300, 44, 200, 150, 10, 5, 0, 0)));

    @Test
    void showsEveryColumnInMiB() {
        String[] lines = new TopTable(false, d -> d == 7 ? "web" : "").render(SAMPLE).split("\n");
        assertEquals("fallow top  00:00:00 UTC  host 256.0 MiB: free 4.0, domains 10.0, tmem ephemeral 2.0 (freeable 2.3), other 239.7", lines[0]);
        assertEquals(List.of(TopTable.HEADERS), List.of(lines[1].trim().split("\\s+")));
        assertEquals(List.of("7", "web", "running", "10.0", "20.0", "4.0", "0.5", "1.0", "1.2", "0.2", "75%", "50%"),
                List.of(lines[3].trim().split("\\s+")));
    }

    @Test
    void pagesModeShowsRawCountsAndDashesForUnreported() {
        String[] lines = new TopTable(true, null).render(SAMPLE).split("\n");
        assertTrue(lines[0].contains("host 65536 pages: free 1024"), lines[0]);
        assertEquals(List.of("0", "Domain-0", "running", "0", "0", "-", "-", "0", "-", "-", "-", "-"), List.of(lines[2].trim().split("\\s+")));
        assertEquals(List.of("7", "running", "2560", "5120", "1024", "128", "256", "300", "44", "75%", "50%"), List.of(lines[3].trim().split("\\s+")));
    }
}
