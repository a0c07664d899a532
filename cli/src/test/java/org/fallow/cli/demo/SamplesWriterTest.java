package org.fallow.cli.demo;

import org.fallow.cli.chart.MemorySeries;
import org.fallow.cli.chart.SyntheticSeries;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class SamplesWriterTest {
    @Test
    void csvHasAColumnGroupPerDomainAndARowPerSample(@TempDir Path dir) throws Exception {
        MemorySeries s = SyntheticSeries.build();
        Path csv = dir.resolve("s.csv"), jsonl = dir.resolve("s.jsonl");
        SamplesWriter.writeCsv(s, csv);
        SamplesWriter.writeJsonLines(s, jsonl);
        List<String> rows = Files.readAllLines(csv);
        assertEquals(21, rows.size());
        String[] header = rows.getFirst().split(",");
        assertEquals(4 + 3 * 6, header.length);
        assertEquals("paged_paged", header[4 + 2 * 6 + 3]);
        String[] first = rows.get(1).split(",", -1);
        assertEquals("0.000", first[0]);
        assertEquals("16384", first[1]);
        assertEquals("4096", first[4], "pod's tot_pages");
        assertEquals("", first[4 + 2 * 6], "paged does not exist yet: empty cells");
        String[] last = rows.get(20).split(",", -1);
        assertEquals("9.500", last[0]);
        assertEquals("1140", last[4 + 2 * 6 + 3], "paged out at i = 19: 19 * 60");
        assertEquals(20, Files.readAllLines(jsonl).size());
        assertTrue(Files.readAllLines(jsonl).getFirst().startsWith("{\"time_ms\":1000000,"));
    }

    @Test
    void progressLineShowsEachGuestAndItsExtras() {
        MemorySeries s = SyntheticSeries.build();
        var last = s.samples().getLast();
        String line = DemoProgress.line(s, last);
        assertTrue(line.startsWith("[  9.5s] free "), line);
        assertTrue(line.contains("pod 19.7(pod 8.6)"), line);
        assertTrue(line.contains("cache 9.6(tmem 2.1)"), line);
        assertTrue(line.contains("paged 7.3(out 4.5 c)"), line);
    }
}
