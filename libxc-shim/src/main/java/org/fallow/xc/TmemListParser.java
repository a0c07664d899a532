package org.fallow.xc;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Parses the LIST text of tmem (G=, S=, C=, P=, T lines; {@code key:value} fields joined by commas) into records, and
 * sums it up per client for a {@code top}-style view: ephemeral and persistent pages, successful gets/puts and
 * compressed bytes. Use the long format (-l) to get the page counts.
 */
public final class TmemListParser {
    private TmemListParser() {}

    /** One record: its tag (G, S, C, P, T) and its fields in order (SC, repeated in S= lines, is joined by spaces). */
    public record Record(String tag, Map<String, String> fields) {
        public long num(String key) {
            String v = fields.get(key);
            if (v == null) return 0;
            return key.equals("U0") || key.equals("U1") ? Long.parseUnsignedLong(v, 16) : Long.parseLong(v);
        }
    }

    /** Per-client summary (long-format LIST). */
    public record ClientSummary(int domid, long weight, boolean compress, boolean frozen, long ephemeralPages,
                                long persistentPages, long succEphGets, long succPersGets, long succPersPuts,
                                long compressedBytes, int pools) {}

    public static List<Record> parse(String text) {
        List<Record> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty()) continue;
            int eq = line.indexOf('=');
            if (eq < 0) {
                out.add(new Record(line, Map.of()));
                continue;
            }
            Map<String, String> f = new LinkedHashMap<>();
            for (String kv : line.substring(eq + 1).split(",")) {
                int c = kv.indexOf(':');
                if (c < 0) continue;
                String k = kv.substring(0, c), v = kv.substring(c + 1);
                f.merge(k, v, (a, b) -> a + " " + b);
            }
            out.add(new Record(line.substring(0, eq), f));
        }
        return out;
    }

    /** Client summaries by domid, from C= and P= records. */
    public static Map<Integer, ClientSummary> clients(String text) {
        Map<Integer, Record> c = new TreeMap<>();
        Map<Integer, long[]> pools = new TreeMap<>(); // {persistent pages, pools}
        for (Record r : parse(text)) {
            if (r.tag().equals("C")) c.put((int) r.num("CI"), r);
            if (r.tag().equals("P")) {
                long[] p = pools.computeIfAbsent((int) r.num("CI"), k -> new long[2]);
                if (r.fields().getOrDefault("PT", "").startsWith("P")) p[0] += r.num("Pc");
                p[1]++;
            }
        }
        Map<Integer, ClientSummary> out = new TreeMap<>();
        for (Map.Entry<Integer, Record> e : c.entrySet()) {
            Record r = e.getValue();
            long[] p = pools.getOrDefault(e.getKey(), new long[2]);
            out.put(e.getKey(), new ClientSummary(e.getKey(), r.num("ww"), r.num("co") != 0, r.num("fr") != 0,
                    r.num("Ec"), p[0], r.num("Ge"), r.num("Gp"), r.num("Pp"), r.num("cb"), (int) p[1]));
        }
        return out;
    }
}
