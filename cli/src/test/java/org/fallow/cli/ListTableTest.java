package org.fallow.cli;

import org.fallow.xc.XcDomain;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** list's table is the text of xl's printf format (as java.util.Formatter prints it), for names and figures of every width. */
class ListTableTest {
    @Test
    void rowsAreTheFormattersText() {
        String[] names = {"Domain-0", "", "a-name-of-exactly-forty-characters-xxxxx", "a name longer than the forty-column field of xl list"};
        long[] pages = {0, 1, 255, 3920, 4096 * 256 + 13, 123_456_789L};
        long[] cpu = {0, 49_999_999, 50_000_000, 150_000_000, 12_345_678_901L, 99_999_999_999_999L};
        int k = 0;
        for (String name : names)
            for (long p : pages)
                for (long ns : cpu) {
                    int domid = k++ % 70000;
                    XcDomain.DomainInfo info = new XcDomain.DomainInfo(domid, 1, p, p * 2, p / 3, p / 5, 1 + domid % 128, new byte[16], ns);
                    ListCommand.Row row = new ListCommand.Row(name, info, p / 7, 0, p / 11, p / 13);
                    String expected = "Name                                        ID   Mem VCPUs\tState\tTime(s)     PoD   Paged    Tmem\n"
                            + String.format(Locale.ROOT, "%-40s %5d %5d %5d     %s  %8.1f %7s %7s %7s%n", name, domid,
                            (p + p / 3) * 4 / 1024, 1 + domid % 128, info.stateString(), ns / 1e9,
                            String.format(Locale.ROOT, "%.1f", p / 7 / 256.0), String.format(Locale.ROOT, "%.1f", p / 5 / 256.0),
                            String.format(Locale.ROOT, "%.1f", (p / 11 + p / 13) / 256.0));
                    assertEquals(expected, ListCommand.table(List.of(row)), name + " " + p + " " + ns);
                }
    }
}
