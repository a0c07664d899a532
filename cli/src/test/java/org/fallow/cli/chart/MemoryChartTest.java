package org.fallow.cli.chart;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

@Timeout(60)
class MemoryChartTest {
    @Test
    void writesAReadablePngAndAWellFormedSvg(@TempDir Path dir) throws Exception {
        MemoryChart.Files2 out = MemoryChart.write(SyntheticSeries.build(), "test run", dir.resolve("out"), "memory");

        byte[] png = Files.readAllBytes(out.png());
        assertArrayEquals(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, java.util.Arrays.copyOf(png, 8));
        BufferedImage img = ImageIO.read(out.png().toFile());
        assertEquals(MemoryChart.WIDTH, img.getWidth());
        assertEquals(MemoryChart.HEIGHT, img.getHeight());

        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        Document svg = f.newDocumentBuilder().parse(out.svg().toFile());
        assertEquals("svg", svg.getDocumentElement().getTagName());
        String text = Files.readString(out.svg());
        // legend entries are drawn as text: every guest, tmem and free appear by name
        for (String label : new String[]{"pod (dom1)", "cache (dom2)", "paged (dom3)", MemoryChart.TMEM_EPH_LABEL, MemoryChart.TMEM_FREE_LIST_LABEL, "free", "per guest", "dotted: paged out", "paging target 8 MiB", "guests configured: 80 MiB", "guests&apos; memory as they see it"})
            assertTrue(text.contains(label), () -> "svg lacks " + label);
    }

    @Test
    void stackedPlotSumsToTheHostSize() {
        var chart = MemoryChart.build(SyntheticSeries.build(), "t");
        var combined = (org.jfree.chart.plot.CombinedDomainXYPlot) chart.getXYPlot();
        var stacked = combined.getSubplots().getFirst();
        var ds = stacked.getDataset();
        for (int item = 0; item < ds.getItemCount(0); item++) {
            double sum = 0;
            for (int series = 0; series < ds.getSeriesCount(); series++) sum += ds.getYValue(series, item);
            assertEquals(64.0, sum, 1e-9, "item " + item);
        }
    }

    /**
     * Issue 10: the chart kept a 60 MiB "tmem (ephemeral + free list)" band after every tmem guest was gone while the
     * progress lines said tmem 0.0. The free list is its own band now: with no ephemeral pages, the ephemeral band is
     * 0 and the free list band carries what tmem still holds.
     */
    @Test
    void tmemsFreeListIsItsOwnBand() {
        MemorySeries s = new MemorySeries(0);
        long host = 64 * 256;
        // tmem holds 3000 ephemeral pages, then its guest is gone: 0 ephemeral, 3000 on the free list (freeable)
        s.add(new org.fallow.cli.stats.HostSample(0, host, host - 3000, 3000, 3000, java.util.List.of()));
        s.add(new org.fallow.cli.stats.HostSample(1000, host, host - 3000, 0, 3000, java.util.List.of()));
        var stacked = ((org.jfree.chart.plot.CombinedDomainXYPlot) MemoryChart.build(s, "t").getXYPlot()).getSubplots().getFirst();
        var ds = stacked.getDataset();
        int eph = -1, freeList = -1;
        for (int k = 0; k < ds.getSeriesCount(); k++) {
            if (MemoryChart.TMEM_EPH_LABEL.equals(ds.getSeriesKey(k))) eph = k;
            if (MemoryChart.TMEM_FREE_LIST_LABEL.equals(ds.getSeriesKey(k))) freeList = k;
        }
        assertTrue(eph >= 0 && freeList >= 0);
        int last = ds.getItemCount(eph) - 1;
        assertEquals(3000 / 256.0, ds.getYValue(eph, 0), 1e-9);
        assertEquals(0.0, ds.getYValue(freeList, 0), 1e-9);
        assertEquals(0.0, ds.getYValue(eph, last), 1e-9, "no ephemeral band once the pages are gone");
        assertEquals(3000 / 256.0, ds.getYValue(freeList, last), 1e-9, "the free list shows as itself");
        // drawn as steps: the value holds until the next sample, no ramp in between
        assertEquals(3000 / 256.0, ds.getYValue(eph, last - 1), 1e-9);
        assertEquals(1.0 - MemoryChart.STEP_S, ds.getXValue(eph, last - 1), 1e-9);
    }
}
