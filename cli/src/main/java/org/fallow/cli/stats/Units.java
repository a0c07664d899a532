package org.fallow.cli.stats;

import java.util.Locale;

/** Page/MiB/percent formatting shared by top, the demo's progress lines and its report. */
public final class Units {
    public static final long PAGES_PER_MIB = 256;

    private Units() { }

    public static double mib(long pages) { return pages / (double) PAGES_PER_MIB; }

    /** Pages as MiB with one decimal, or "-" when not reported (negative). */
    public static String mibText(long pages) {
        return pages < 0 ? "-" : oneDecimal(pages, PAGES_PER_MIB);
    }

    /** Below these the exact arithmetic of {@link #oneDecimal} is what {@code %.1f} prints (see there). */
    private static final long EXACT_NUMERATOR_LIMIT = 1L << 40;

    /**
     * {@code String.format(Locale.ROOT, "%.1f", numerator / (double) denominator)} for a non-negative numerator and a
     * denominator of 256 (pages to MiB) or 10^9 (ns to s), without java.util.Formatter (a short command's first
     * Formatter use costs it milliseconds): the quotient rounded half-up to tenths in integers. It is the same text:
     * %.1f rounds half-up the shortest decimal that identifies the double (Double.toString's digits, JDK 21+), and
     * below 2^40 that decimal is the exact quotient for 10^9 (at most 13 significant digits) and, for 256, within
     * 10^-6 of the exact quotient, which never lies within 0.0078 of a rounding boundary (k/256 is never x.x5).
     * Larger numerators go through the Formatter.
     */
    public static String oneDecimal(long numerator, long denominator) {
        if (numerator < 0 || numerator >= EXACT_NUMERATOR_LIMIT || (denominator != PAGES_PER_MIB && denominator != 1_000_000_000L))
            return String.format(Locale.ROOT, "%.1f", numerator / (double) denominator);
        long tenths = (numerator * 10 + denominator / 2) / denominator;
        return (tenths / 10) + "." + (tenths % 10);
    }

    public static String pagesText(long pages) { return pages < 0 ? "-" : Long.toString(pages); }

    /** A rate in [0,1] as a percentage, "-" when undefined. */
    public static String percent(double rate) {
        return Double.isNaN(rate) ? "-" : String.format(Locale.ROOT, "%.0f%%", rate * 100);
    }
}
