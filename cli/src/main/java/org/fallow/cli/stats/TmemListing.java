package org.fallow.cli.stats;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed tmem LIST (XEN_SYSCTL_TMEM_OP_LIST / TMEMC_LIST) output: the global {@code G=} record, the shared pools
 * ({@code S=}), every client ({@code C=}) with its pools ({@code P=}), and whether the {@code T} perf line was present.
 */
public record TmemListing(Optional<TmemListRecord> global, List<TmemListRecord> sharedPools,
                          Map<Integer, Client> clients, boolean perfLine) {

    /** A client (domain) and its pools, in listing order. */
    public record Client(int domid, TmemListRecord record, List<Pool> pools) {
        public long weight() { return record.number("ww", 0); }
        public boolean compress() { return record.number("co", 0) != 0; }
        public boolean frozen() { return record.number("fr", 0) != 0; }
        /** Successful ephemeral gets (Ge). */
        public long ephemeralGetsFound() { return record.number("Ge", 0); }
        public long persistentPutsGood() { return record.number("Pp", 0); }
        public long persistentGetsFound() { return record.number("Gp", 0); }
        /** Ephemeral pages held by this client (long format Ec), else the sum of its ephemeral pools' pages. */
        public long ephemeralPages() {
            return record.number("Ec").orElseGet(() -> sumPages(false));
        }
        /** Persistent pages held (sum of the persistent pools' Pc; long format only). */
        public long persistentPages() { return sumPages(true); }

        private long sumPages(boolean persistent) {
            long n = 0;
            for (Pool p : pools) if (p.persistent() == persistent) n += p.pages();
            return n;
        }

        /** Sum of a pool statistic over the ephemeral or persistent pools. */
        public long sumPools(boolean persistent, String key) {
            long n = 0;
            for (Pool p : pools) if (p.persistent() == persistent) n += p.record().number(key, 0);
            return n;
        }
    }

    /** A pool of a client ({@code P=}) or a shared pool ({@code S=}). */
    public record Pool(TmemListRecord record) {
        public int poolId() { return (int) record.number(record.tag() == 'S' ? "SI" : "PI", -1); }
        public boolean persistent() { String pt = record.text("PT"); return pt != null && pt.startsWith("P"); }
        public boolean shared() { String pt = record.text("PT"); return pt != null && pt.length() > 1 && pt.charAt(1) == 'S'; }
        public long uuidLo() { return record.hex("U0"); }
        public long uuidHi() { return record.hex("U1"); }
        /** Pages in the pool (Pc, long format), 0 when not listed. */
        public long pages() { return record.number("Pc", 0); }
        /** Gets that found a page (gs) and all gets (gt), long format. */
        public long getsFound() { return record.number("gs", 0); }
        public long gets() { return record.number("gt", 0); }
        public long putsGood() { return record.number("ps", 0); }
        public long puts() { return record.number("pt", 0); }
    }

    /** Parses LIST text. Tolerates a trailing NUL, a truncated last record, unknown tags and the repeated-S bug. */
    public static TmemListing parse(String text) {
        int nul = text.indexOf('\0');
        if (nul >= 0) text = text.substring(0, nul);
        TmemListRecord global = null;
        Map<Integer, TmemListRecord> shared = new LinkedHashMap<>();
        Map<Integer, Client> clients = new LinkedHashMap<>();
        boolean perf = false;
        for (String line : text.split("\n")) {
            if (line.isEmpty()) continue;
            char tag = line.charAt(0);
            if (tag == 'T' && (line.length() == 1 || line.charAt(1) == '=')) { perf = true; continue; }
            if (line.length() < 2 || line.charAt(1) != '=') continue;
            // 4.12 bug: later S records re-send earlier ones on the same line; split at every "S=SI:".
            if (tag == 'S') {
                for (String part : line.split("(?=S=SI:)")) {
                    if (!part.startsWith("S=")) continue;
                    TmemListRecord r = record('S', part.substring(2));
                    shared.put((int) r.number("SI", -1), r);
                }
                continue;
            }
            TmemListRecord r = record(tag, line.substring(2));
            switch (tag) {
                case 'G' -> global = r;
                case 'C' -> {
                    int domid = (int) r.number("CI", -1);
                    Client old = clients.get(domid);
                    clients.put(domid, new Client(domid, r, old == null ? new ArrayList<>() : old.pools()));
                }
                case 'P' -> {
                    int domid = (int) r.number("CI", -1);
                    Client c = clients.computeIfAbsent(domid,
                            d -> new Client(d, new TmemListRecord('C', Map.of("CI", Integer.toString(d)), List.of()), new ArrayList<>()));
                    c.pools().add(new Pool(r));
                }
                default -> { /* unknown tag: ignored */ }
            }
        }
        Map<Integer, Client> frozen = new LinkedHashMap<>();
        clients.forEach((d, c) -> frozen.put(d, new Client(d, c.record(), List.copyOf(c.pools()))));
        return new TmemListing(Optional.ofNullable(global), List.copyOf(shared.values()), frozen, perf);
    }

    private static TmemListRecord record(char tag, String body) {
        Map<String, String> fields = new LinkedHashMap<>();
        List<Integer> sharers = new ArrayList<>();
        for (String kv : body.split(",")) {
            if (kv.isEmpty()) continue;
            int colon = kv.indexOf(':');
            if (colon < 0) continue;
            String k = kv.substring(0, colon), v = kv.substring(colon + 1);
            if (tag == 'S' && k.equals("SC")) {
                try { sharers.add(Integer.parseInt(v)); } catch (NumberFormatException ignored) { }
            } else {
                fields.put(k, v);
            }
        }
        return new TmemListRecord(tag, fields, sharers);
    }

    /** Global ephemeral page count (long-format G record Ec), else the sum over clients. */
    public long ephemeralPages() {
        if (global.isPresent() && global.get().has("Ec")) return global.get().number("Ec", 0);
        long n = 0;
        for (Client c : clients.values()) n += c.ephemeralPages();
        return n;
    }
}
