package org.fallow.cli.stats;

import org.junit.jupiter.api.Test;

import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link Units#oneDecimal} prints what {@code %.1f} prints, at and around every rounding boundary it can meet. */
class UnitsTest {
    private static String formatter(long numerator, long denominator) {
        return String.format(Locale.ROOT, "%.1f", numerator / (double) denominator);
    }

    @Test
    void pagesAsMibMatchTheFormatterEverywhereItWasChecked() {
        for (long pages = 0; pages < 1 << 20; pages++)
            assertEquals(formatter(pages, 256), Units.mibText(pages), "pages " + pages);
        for (long pages = (1L << 40) - (1 << 16); pages < (1L << 40) + (1 << 10); pages++)
            assertEquals(formatter(pages, 256), Units.mibText(pages), "pages " + pages);
        assertEquals("-", Units.mibText(-1));
    }

    @Test
    void nanosecondsAsSecondsMatchTheFormatterAtEveryHalfTenth() {
        for (long tenths = 0; tenths < 200_000; tenths++) {
            long half = tenths * 100_000_000L + 50_000_000L;          // x.x5 s exactly: the half-up case
            for (long ns = half - 2; ns <= half + 2; ns++)
                assertEquals(formatter(ns, 1_000_000_000L), Units.oneDecimal(ns, 1_000_000_000L), "ns " + ns);
        }
        for (long ns = (1L << 40) - 1000; ns < (1L << 40) + 1000; ns++)
            assertEquals(formatter(ns, 1_000_000_000L), Units.oneDecimal(ns, 1_000_000_000L), "ns " + ns);
        assertEquals(formatter(987_654_321_987_654L, 1_000_000_000L), Units.oneDecimal(987_654_321_987_654L, 1_000_000_000L));
    }
}
