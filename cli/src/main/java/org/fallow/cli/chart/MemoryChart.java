package org.fallow.cli.chart;

import org.fallow.cli.stats.DomainSample;
import org.fallow.cli.stats.HostSample;
import org.fallow.cli.stats.Units;
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
import org.jfree.svg.SVGUtils;

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
 * tot_pages, tmem's ephemeral pages, tmem's free list, other hypervisor pages, free) so over-commitment shows as
 * guests sharing a fixed height. Bottom: one colour per guest, with its tot_pages (solid), tmem pages (dashed) and
 * paged-out pages (dotted). Each panel has its own legend (on the right, level with it). Samples are drawn as steps
 * (a value holds until the next sample), so nothing is interpolated: a domain appears and disappears at a sample, and
 * a guest's lines stop where its domain is gone. Axes are fitted to the data. Events (guest start, xenpaging, ...)
 * are vertical markers on both plots.
 */
public final class MemoryChart {
    public static final int WIDTH = 1200;
    public static final int HEIGHT = 900;

    private static final Color[] GUEST_COLOURS = {
            new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
            new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf), new Color(0xbcbd22), new Color(0x7f7f7f)};
    private static final Color TMEM_COLOUR = new Color(0xf2c14e);
    private static final Color FREE_LIST_COLOUR = new Color(0xf9e4a8);
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
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(WIDTH, HEIGHT, java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D ig = img.createGraphics();
        draw(chart, series, ig);
        ig.dispose();
        SVGGraphics2D g2 = new SVGGraphics2D(WIDTH, HEIGHT);
        draw(chart, series, g2);
        // 0600 files, never written through a link: the libraries fill a fresh temporary that is renamed into place
        org.fallow.abi.fs.SafeFiles.writeAtomically(png, f -> javax.imageio.ImageIO.write(img, "png", f));
        org.fallow.abi.fs.SafeFiles.writeAtomically(svg, f -> SVGUtils.writeToSVG(f, g2.getSVGElement()));
        return new Files2(png, svg);
    }

    /** Width kept free on the right for the panels' legends. */
    static final int LEGEND_WIDTH = 290;

    /** Draws the chart, then each panel's legend to its right, level with the panel's top. */
    static void draw(JFreeChart chart, MemorySeries series, java.awt.Graphics2D g2) {
        g2.setRenderingHints(chart.getRenderingHints());
        org.jfree.chart.ChartRenderingInfo info = new org.jfree.chart.ChartRenderingInfo();
        chart.draw(g2, new Rectangle2D.Double(0, 0, WIDTH, HEIGHT), info);
        CombinedDomainXYPlot combined = (CombinedDomainXYPlot) chart.getXYPlot();
        List<XYPlot> panels = combined.getSubplots();
        org.jfree.chart.plot.PlotRenderingInfo pi = info.getPlotInfo();
        if (pi.getSubplotCount() < 2) return;
        org.jfree.chart.LegendItemCollection[] items = {legendOf(panels.get(0)), guestLegend(series, series.domids())};
        String[] headings = {"host memory (stacked)", "per guest"};
        for (int k = 0; k < 2; k++) {
            Rectangle2D area = pi.getSubplotInfo(k).getDataArea();
            org.jfree.chart.block.Block legend = panelLegend(headings[k], items[k]);
            Rectangle2D box = new Rectangle2D.Double(WIDTH - LEGEND_WIDTH + 12, area.getY(), LEGEND_WIDTH - 16, area.getHeight());
            legend.arrange(g2, org.jfree.chart.block.RectangleConstraint.NONE);
            legend.draw(g2, new Rectangle2D.Double(box.getX(), box.getY(), box.getWidth(),
                    Math.min(box.getHeight(), legend.getBounds().getHeight())));
        }
    }

    public static JFreeChart build(MemorySeries series, String title) {
        List<HostSample> samples = series.samples();
        List<Integer> domids = series.domids();
        NumberAxis time = new NumberAxis("time (s)");
        // fitted to the data: from the first sample (or event) to the last
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        for (HostSample h : samples) {
            lo = Math.min(lo, series.seconds(h.timeMillis()));
            hi = Math.max(hi, series.seconds(h.timeMillis()));
        }
        for (DemoEvent e : series.events()) {
            lo = Math.min(lo, series.seconds(e.timeMillis()));
            hi = Math.max(hi, series.seconds(e.timeMillis()));
        }
        if (lo < hi) time.setRange(Math.floor(lo), hi + (hi - lo) * 0.06); // a little room for the last event's label
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(time);
        plot.setGap(12);
        XYPlot host = stackedHostPlot(series, samples, domids);
        XYPlot guests = guestLinesPlot(series, samples, domids);
        plot.add(host, 3);
        plot.add(guests, 2);
        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 18), plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        // room on the right for one legend per panel, drawn level with its panel by draw()
        chart.setPadding(new org.jfree.chart.ui.RectangleInsets(4, 4, 4, LEGEND_WIDTH));
        if (!samples.isEmpty()) {
            HostSample first = samples.getFirst();
            chart.addSubtitle(new TextTitle(String.format(java.util.Locale.ROOT,
                    "host %.0f MiB; figures sampled from the hypervisor (getdomaininfo, get_pod_target, tmem LIST, physinfo)",
                    Units.mib(first.totalPages())), new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
            chart.addSubtitle(new TextTitle("tmem free list: pages tmem freed and keeps for reuse; not free, but freeable "
                    + "(given back as soon as memory is needed)", new Font(Font.SANS_SERIF, Font.ITALIC, 11)));
        }
        return chart;
    }

    private static XYPlot stackedHostPlot(MemorySeries series, List<HostSample> samples, List<Integer> domids) {
        DefaultTableXYDataset ds = new DefaultTableXYDataset();
        int i = 0;
        Paint[] paints = new Paint[domids.size() + 4];
        for (int domid : domids) {
            ds.addSeries(steps(series, samples, series.name(domid) + " (dom" + domid + ")", s -> {
                DomainSample d = s.domain(domid);
                return d == null ? 0 : Math.max(0, d.totPages());
            }));
            paints[i] = guestColour(i);
            i++;
        }
        ds.addSeries(steps(series, samples, TMEM_EPH_LABEL, s -> s.tmemHostPages() - s.tmemFreeListPages()));
        paints[i++] = TMEM_COLOUR;
        ds.addSeries(steps(series, samples, TMEM_FREE_LIST_LABEL, s -> Math.min(s.tmemFreeListPages(), s.tmemHostPages())));
        paints[i++] = FREE_LIST_COLOUR;
        ds.addSeries(steps(series, samples, "hypervisor other", HostSample::otherPages));
        paints[i++] = OTHER_COLOUR;
        // the figures of one sample come from several hypercalls, not one atomic snapshot: free is shown as at most
        // what the other layers leave, so that the stack never rises above the host
        ds.addSeries(steps(series, samples, "free", s -> Math.max(0, Math.min(s.freePages(),
                s.totalPages() - s.domainPages() - s.tmemHostPages() - s.otherPages()))));
        paints[i] = FREE_COLOUR;
        StackedXYAreaRenderer2 r = new StackedXYAreaRenderer2();
        for (int k = 0; k < paints.length; k++) r.setSeriesPaint(k, paints[k]);
        NumberAxis mib = new NumberAxis("host memory (MiB)");
        XYPlot p = new XYPlot(ds, null, mib, r);
        // what the guests believe they have, over the stack: above the host line = over-commitment in action
        XYSeriesCollection seen = new XYSeriesCollection(steps(series, samples, SEEN_LABEL, HostSample::guestVisiblePages));
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
        });
        // fitted: the host, what the guests saw and the configured level, plus a band at the top for the event labels
        double top = 1;
        for (HostSample h : samples) top = Math.max(top, Math.max(Units.mib(h.totalPages()), Units.mib(h.guestVisiblePages())));
        for (long pages : series.levels().values()) top = Math.max(top, Units.mib(pages));
        mib.setRange(0, top * 1.22);
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
                XYSeries line = guestLine(series, samples, name + " " + what[f], fs.get(f));
                if (f > 0 && allZero(line)) continue;
                ds.addSeries(line);
                r.setSeriesPaint(k, c);
                r.setSeriesStroke(k, dashes[f] == null ? new BasicStroke(2.2f)
                        : new BasicStroke(1.6f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, dashes[f], 0f));
                k++;
            }
        }
        NumberAxis mib = new NumberAxis("per guest (MiB)");
        mib.setAutoRangeIncludesZero(true);
        mib.setUpperMargin(0.08);
        XYPlot p = new XYPlot(ds, null, mib, r);
        decorate(series, p, false);
        return p;
    }

    static final String TMEM_EPH_LABEL = "tmem ephemeral pages (cleancache)";
    static final String TMEM_FREE_LIST_LABEL = "tmem free list (freeable)";
    static final String SEEN_LABEL = "guests' memory as they see it";

    private static org.jfree.chart.LegendItemCollection legendOf(XYPlot host) {
        org.jfree.chart.LegendItemCollection items = new org.jfree.chart.LegendItemCollection();
        org.jfree.chart.LegendItemCollection all = host.getLegendItems();
        for (int i = 0; i < all.getItemCount(); i++) items.add(all.get(i));
        return items;
    }

    /** The guests panel's key: one colour per guest, and what each line style means. */
    private static org.jfree.chart.LegendItemCollection guestLegend(MemorySeries series, List<Integer> domids) {
        org.jfree.chart.LegendItemCollection items = new org.jfree.chart.LegendItemCollection();
        java.awt.Shape box = new Rectangle2D.Double(-5, -5, 10, 10);
        int gi = 0;
        for (int domid : domids) {
            org.jfree.chart.LegendItem it = new org.jfree.chart.LegendItem(series.name(domid) + " (dom" + domid + ")",
                    null, null, null, box, guestColour(gi++));
            items.add(it);
        }
        java.awt.Shape stroke = new java.awt.geom.Line2D.Double(-12, 0, 12, 0);
        String[] what = {"solid: tot_pages", "dashed: tmem pages", "dotted: paged out"};
        float[][] dashes = {null, {8f, 5f}, {2f, 4f}};
        for (int f = 0; f < what.length; f++) {
            BasicStroke st = dashes[f] == null ? new BasicStroke(2.2f)
                    : new BasicStroke(1.6f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, dashes[f], 0f);
            items.add(new org.jfree.chart.LegendItem(what[f], null, null, null, stroke, st, Color.DARK_GRAY));
        }
        return items;
    }

    private static org.jfree.chart.block.Block panelLegend(String heading, org.jfree.chart.LegendItemCollection items) {
        org.jfree.chart.title.LegendTitle legend = new org.jfree.chart.title.LegendTitle(() -> items,
                new org.jfree.chart.block.ColumnArrangement(org.jfree.chart.ui.HorizontalAlignment.LEFT,
                        org.jfree.chart.ui.VerticalAlignment.TOP, 0, 1), new org.jfree.chart.block.ColumnArrangement());
        legend.setPosition(org.jfree.chart.ui.RectangleEdge.RIGHT);
        legend.setHorizontalAlignment(org.jfree.chart.ui.HorizontalAlignment.LEFT);
        legend.setItemFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        legend.setBackgroundPaint(Color.WHITE);
        org.jfree.chart.block.BlockContainer c = new org.jfree.chart.block.BlockContainer(new org.jfree.chart.block.ColumnArrangement(
                org.jfree.chart.ui.HorizontalAlignment.LEFT, org.jfree.chart.ui.VerticalAlignment.TOP, 0, 2));
        org.jfree.chart.block.LabelBlock title = new org.jfree.chart.block.LabelBlock(heading, new Font(Font.SANS_SERIF, Font.BOLD, 11));
        c.add(title);
        c.add(legend);
        return c;
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
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        for (HostSample s : series.samples()) {
            lo = Math.min(lo, series.seconds(s.timeMillis()));
            hi = Math.max(hi, series.seconds(s.timeMillis()));
        }
        for (DemoEvent e : events) {
            lo = Math.min(lo, series.seconds(e.timeMillis()));
            hi = Math.max(hi, series.seconds(e.timeMillis()));
        }
        double span = Math.max(1, hi - Math.floor(lo));
        double secondsPerPixel = span * 1.06 / (WIDTH - 90 - LEGEND_WIDTH);
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

    /**
     * A stacked band as steps: each sample's value holds until the next sample, where it changes at once (two points
     * at that time would break the table dataset, so the change is drawn 1 ms before it). Nothing is interpolated.
     */
    static XYSeries steps(MemorySeries series, List<HostSample> samples, String key, ToLongFunction<HostSample> f) {
        XYSeries xy = new XYSeries(key, true, false);
        double prevX = Double.NaN;
        long prev = 0;
        for (HostSample s : samples) {
            double x = series.seconds(s.timeMillis());
            if (!Double.isNaN(prevX) && x <= prevX) continue;
            long v = Math.max(0, f.applyAsLong(s));
            if (!Double.isNaN(prevX) && x - STEP_S > prevX) xy.add(x - STEP_S, Units.mib(prev));
            xy.add(x, Units.mib(v));
            prevX = x;
            prev = v;
        }
        return xy;
    }

    static final double STEP_S = 0.001;

    /** A guest's line: a step per sample, broken (no line) where the domain does not exist. */
    static XYSeries guestLine(MemorySeries series, List<HostSample> samples, String key, ToLongFunction<HostSample> f) {
        XYSeries xy = new XYSeries(key, true, false);
        double prevX = Double.NaN;
        long prev = Long.MIN_VALUE;
        for (HostSample s : samples) {
            double x = series.seconds(s.timeMillis());
            if (!Double.isNaN(prevX) && x <= prevX) continue;
            long v = f.applyAsLong(s);
            if (prev != Long.MIN_VALUE && v != Long.MIN_VALUE && x - STEP_S > prevX) xy.add(x - STEP_S, Units.mib(prev));
            if (v == Long.MIN_VALUE) {
                if (prev != Long.MIN_VALUE) xy.add(x, null); // the domain is gone: the line stops here
            } else xy.add(x, Units.mib(v));
            prevX = x;
            prev = v;
        }
        return xy;
    }

    private static boolean allZero(XYSeries s) {
        for (int i = 0; i < s.getItemCount(); i++) if (s.getY(i) != null && s.getY(i).doubleValue() != 0) return false;
        return true;
    }

    static Color guestColour(int i) { return GUEST_COLOURS[i % GUEST_COLOURS.length]; }
}
