package org.fallow.cli.stats;

import java.util.Locale;

/** Page/MiB/percent formatting shared by top, the demo's progress lines and its report. */
public final class Units {
    public static final long PAGES_PER_MIB = 256;

    private Units() { }

    public static double mib(long pages) { return pages / (double) PAGES_PER_MIB; }

    /** Pages as MiB with one decimal, or "-" when not reported (negative). */
    public static String mibText(long pages) {
        return pages < 0 ? "-" : String.format(Locale.ROOT, "%.1f", mib(pages));
    }

    public static String pagesText(long pages) { return pages < 0 ? "-" : Long.toString(pages); }

    /** A rate in [0,1] as a percentage, "-" when undefined. */
    public static String percent(double rate) {
        return Double.isNaN(rate) ? "-" : String.format(Locale.ROOT, "%.0f%%", rate * 100);
    }
}
