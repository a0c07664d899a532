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
}
