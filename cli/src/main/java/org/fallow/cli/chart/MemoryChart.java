package org.fallow.cli.chart;

import org.fallow.cli.stats.DomainSample;
import org.fallow.cli.stats.HostSample;
import org.fallow.cli.stats.Units;
import org.jfree.svg.SVGUtils;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.StackedXYAreaRenderer2;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.DefaultTableXYDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * The demo's memory-over-time chart, written as PNG and SVG. Top: the host's memory stacked by owner (each guest's
 * tot_pages, ephemeral tmem, other hypervisor pages, free) so over-commitment shows as guests sharing a fixed
 * height. Bottom: one colour per guest, with its tot_pages (solid), tmem pages (dashed) and paged-out pages (dotted).
 * Events (guest start, paging target set, ...) are vertical markers on both plots.
 */
public final class MemoryChart {
    public static final int WIDTH = 1200;
    public static final int HEIGHT = 900;

    private static final Color[] GUEST_COLOURS = {
            new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
            new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf), new Color(0xbcbd22), new Color(0x7f7f7f)};
    private static final Color TMEM_COLOUR = new Color(0xf2c14e);
    private static final Color OTHER_COLOUR = new Color(0x9e9e9e);
    private static final Color FREE_COLOUR = new Color(0xe8e8e8);

    private MemoryChart() { }

    /** The written files. */
    public record Files2(Path png, Path svg) { }

    /**
     * Renders a small chart once (fonts, Java2D and the SVG writer initialise here), so that the final rendering
     * neither waits for that nor starts it while the JVM is shutting down after Ctrl-C.
     */
    public static void warmUp() {
        try {
            System.setProperty("java.awt.headless", "true");
            MemorySeries s = new MemorySeries(0);
            s.add(new HostSample(0, 256, 256, 0, 0, List.of()));
            s.add(new HostSample(1000, 256, 256, 0, 0, List.of()));
            JFreeChart c = build(s, "warm-up");
            c.createBufferedImage(64, 48);
            SVGGraphics2D g2 = new SVGGraphics2D(64, 48);
            c.draw(g2, new Rectangle2D.Double(0, 0, 64, 48));
            g2.getSVGElement();
        } catch (RuntimeException | Error e) {
            // only a warm-up
        }
    }

    /** Renders the series to {@code <dir>/<baseName>.png} and {@code .svg}. */
    public static Files2 write(MemorySeries series, String title, Path dir, String baseName) throws IOException {
        System.setProperty("java.awt.headless", "true");
        // ImageIO's default file cache registers a shutdown hook per stream, which fails while the JVM is exiting (Ctrl-C)
        javax.imageio.ImageIO.setUseCache(false);
        org.fallow.abi.fs.SafeFiles.ensureOutputDir(dir);
        JFreeChart chart = build(series, title);
        Path png = dir.resolve(baseName + ".png");
        Path svg = dir.resolve(baseName + ".svg");
        // 0600 files, never written through a link: the libraries fill a fresh temporary that is renamed into place
        org.fallow.abi.fs.SafeFiles.writeAtomically(png, f -> ChartUtils.saveChartAsPNG(f, chart, WIDTH, HEIGHT));
        SVGGraphics2D g2 = new SVGGraphics2D(WIDTH, HEIGHT);
        chart.draw(g2, new Rectangle2D.Double(0, 0, WIDTH, HEIGHT));
        org.fallow.abi.fs.SafeFiles.writeAtomically(svg, f -> SVGUtils.writeToSVG(f, g2.getSVGElement()));
        return new Files2(png, svg);
    }

    public static JFreeChart build(MemorySeries series, String title) {
        List<HostSample> samples = series.samples();
        List<Integer> domids = series.domids();
        NumberAxis time = new NumberAxis("time (s)");
        time.setAutoRangeIncludesZero(true);
        time.setUpperMargin(0.07); // room for the last event's label
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(time);
        plot.setGap(12);
        plot.add(stackedHostPlot(series, samples, domids), 3);
        plot.add(guestLinesPlot(series, samples, domids), 2);
        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 18), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        if (!samples.isEmpty()) {
            HostSample first = samples.getFirst();
            chart.addSubtitle(new TextTitle(String.format(java.util.Locale.ROOT,
                    "host %.0f MiB; figures sampled from the hypervisor (getdomaininfo, get_pod_target, tmem LIST, physinfo)",
                    Units.mib(first.totalPages())), new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
        }
        return chart;
    }

    private static XYPlot stackedHostPlot(MemorySeries series, List<HostSample> samples, List<Integer> domids) {
        DefaultTableXYDataset ds = new DefaultTableXYDataset();
        int i = 0;
        Paint[] paints = new Paint[domids.size() + 3];
        for (int domid : domids) {
            ds.addSeries(line(series, samples, series.name(domid) + " (dom" + domid + ")", s -> {
                DomainSample d = s.domain(domid);
                return d == null ? 0 : Math.max(0, d.totPages());
            }, false));
            paints[i] = guestColour(i);
            i++;
        }
        ds.addSeries(line(series, samples, "tmem (ephemeral + free list)", HostSample::tmemHostPages, false));
        paints[i++] = TMEM_COLOUR;
        ds.addSeries(line(series, samples, "hypervisor other", HostSample::otherPages, false));
        paints[i++] = OTHER_COLOUR;
        // the figures of one sample come from several hypercalls, not one atomic snapshot: free is shown as at most
        // what the other layers leave, so that the stack never rises above the host
        ds.addSeries(line(series, samples, "free", s -> Math.max(0, Math.min(s.freePages(),
                s.totalPages() - s.domainPages() - s.tmemHostPages() - s.otherPages())), false));
        paints[i] = FREE_COLOUR;
        StackedXYAreaRenderer2 r = new StackedXYAreaRenderer2();
        for (int k = 0; k < paints.length; k++) r.setSeriesPaint(k, paints[k]);
        NumberAxis mib = new NumberAxis("host memory (MiB)");
        XYPlot p = new XYPlot(ds, null, mib, r);
        // what the guests believe they have, over the stack: above the host line = over-commitment in action
        XYSeriesCollection seen = new XYSeriesCollection(line(series, samples,
                "guests' memory as they see it (populated + PoD entries + paged out)", HostSample::guestVisiblePages, false));
        XYLineAndShapeRenderer seenRenderer = new XYLineAndShapeRenderer(true, false);
        seenRenderer.setSeriesPaint(0, Color.BLACK);
        seenRenderer.setSeriesStroke(0, new BasicStroke(2.4f));
        p.setRenderer(1, seenRenderer); // before the dataset, or the stacked renderer is asked to range it
        p.setDataset(1, seen);
        p.setDatasetRenderingOrder(org.jfree.chart.plot.DatasetRenderingOrder.FORWARD);
        decorate(series, p, true);
        series.levels().forEach((label, pages) -> {
            ValueMarker m = new ValueMarker(Units.mib(pages), new Color(0xc62828),
                    new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[]{10f, 6f}, 0f));
            m.setLabel(label);
            m.setLabelFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
            m.setLabelPaint(new Color(0xc62828));
            m.setLabelAnchor(RectangleAnchor.BOTTOM_RIGHT);
            m.setLabelTextAnchor(TextAnchor.TOP_RIGHT);
            p.addRangeMarker(m, Layer.FOREGROUND);
            // headroom above the line for the event labels
            mib.setUpperBound(Math.max(mib.getUpperBound(), Units.mib(pages) * 1.4));
        });
        return p;
    }

    private static XYPlot guestLinesPlot(MemorySeries series, List<HostSample> samples, List<Integer> domids) {
        XYSeriesCollection ds = new XYSeriesCollection();
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        int k = 0, gi = 0;
        float[][] dashes = {null, {8f, 5f}, {2f, 4f}};
        for (int domid : domids) {
            String name = series.name(domid);
            Color c = guestColour(gi++);
            List<ToLongFunction<HostSample>> fs = List.of(
                    s -> field(s, domid, DomainSample::totPages),
                    s -> field(s, domid, d -> Math.max(0, d.tmemEphPages()) + Math.max(0, d.tmemPersPages())),
                    s -> field(s, domid, DomainSample::pagedPages));
            String[] what = {"tot_pages", "tmem", "paged out"};
            for (int f = 0; f < fs.size(); f++) {
                XYSeries line = line(series, samples, name + " " + what[f], fs.get(f), true);
                if (f > 0 && allZero(line)) continue;
                ds.addSeries(line);
                r.setSeriesPaint(k, c);
                r.setSeriesStroke(k, dashes[f] == null ? new BasicStroke(2.2f)
                        : new BasicStroke(1.6f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, dashes[f], 0f));
                k++;
            }
        }
        XYPlot p = new XYPlot(ds, null, new NumberAxis("per guest (MiB)"), r);
        decorate(series, p, false);
        return p;
    }

    private static void decorate(MemorySeries series, XYPlot p, boolean labels) {
        p.setBackgroundPaint(Color.WHITE);
        p.setDomainGridlinePaint(new Color(0xdddddd));
        p.setRangeGridlinePaint(new Color(0xdddddd));
        List<DemoEvent> events = series.events();
        int[] level = labelLevels(series, events);
        for (int i = 0; i < events.size(); i++) {
            DemoEvent e = events.get(i);
            ValueMarker m = new ValueMarker(series.seconds(e.timeMillis()), new Color(0x555555),
                    new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[]{3f, 3f}, 0f));
            if (labels && level[i] >= 0) {
                m.setLabel(e.label());
                m.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
                m.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
                m.setLabelTextAnchor(TextAnchor.TOP_LEFT);
                m.setLabelBackgroundColor(new Color(255, 255, 255, 200));
                m.setLabelOffset(new org.jfree.chart.ui.RectangleInsets(4 + 13 * level[i], 2, 2, 2));
            }
            p.addDomainMarker(m, Layer.FOREGROUND);
        }
    }

    /** Label rows: each label goes on the first row where it does not overlap the previous one (-1: no room). */
    static int[] labelLevels(MemorySeries series, List<DemoEvent> events) {
        int rows = 8;
        double[] rowEnd = new double[rows];
        java.util.Arrays.fill(rowEnd, Double.NEGATIVE_INFINITY);
        double span = 1;
        for (HostSample s : series.samples()) span = Math.max(span, series.seconds(s.timeMillis()));
        for (DemoEvent e : events) span = Math.max(span, series.seconds(e.timeMillis()));
        double secondsPerPixel = span * 1.05 / (WIDTH - 120);
        int[] level = new int[events.size()];
        for (int i = 0; i < events.size(); i++) {
            double x = series.seconds(events.get(i).timeMillis());
            double width = (events.get(i).label().length() * 6 + 10) * secondsPerPixel;
            level[i] = -1;
            for (int r = 0; r < rows; r++) {
                if (rowEnd[r] <= x) {
                    level[i] = r;
                    rowEnd[r] = x + width;
                    break;
                }
            }
        }
        return level;
    }

    private static long field(HostSample s, int domid, ToLongFunction<DomainSample> f) {
        DomainSample d = s.domain(domid);
        return d == null ? Long.MIN_VALUE : Math.max(0, f.applyAsLong(d));
    }

    private static XYSeries line(MemorySeries series, List<HostSample> samples, String key, ToLongFunction<HostSample> f,
                                 boolean gaps) {
        XYSeries xy = new XYSeries(key, true, false);
        for (HostSample s : samples) {
            long v = f.applyAsLong(s);
            double x = series.seconds(s.timeMillis());
            if (v == Long.MIN_VALUE) {
                if (gaps) continue;
                v = 0;
            }
            if (xy.indexOf(x) < 0) xy.add(x, Units.mib(v));
        }
        return xy;
    }

    private static boolean allZero(XYSeries s) {
        for (int i = 0; i < s.getItemCount(); i++) if (s.getY(i).doubleValue() != 0) return false;
        return true;
    }

    static Color guestColour(int i) { return GUEST_COLOURS[i % GUEST_COLOURS.length]; }
}
