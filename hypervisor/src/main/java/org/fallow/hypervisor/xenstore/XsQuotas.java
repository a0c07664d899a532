package org.fallow.hypervisor.xenstore;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * xenstored's quotas for unprivileged domains, with its defaults (changeable with {@code CONTROL quota set NAME VAL}),
 * plus Fallow's own bounds for dom0, which xenstored leaves unbounded (every table here has a bound).
 */
public final class XsQuotas {
    /** Name → {value, description}, in xenstored's order of {@code xenstore-control quota}. */
    private final Map<String, Integer> values = new LinkedHashMap<>();
    private static final Map<String, String> DESCRIPTIONS = new LinkedHashMap<>();

    static {
        DESCRIPTIONS.put("nodes", "Nodes per domain");
        DESCRIPTIONS.put("watches", "Watches per domain");
        DESCRIPTIONS.put("transactions", "Transactions per domain");
        DESCRIPTIONS.put("outstanding", "Outstanding requests per domain");
        DESCRIPTIONS.put("transaction-nodes", "Max. number of accessed nodes per transaction");
        DESCRIPTIONS.put("memory", "Total Xenstore memory per domain (error level)");
        DESCRIPTIONS.put("node-size", "Max. size of a node");
        DESCRIPTIONS.put("permissions", "Max. number of permissions per node");
    }

    /** dom0 bounds (Fallow's, not xenstored's): per connection, and for the whole store. */
    public static final int DOM0_WATCHES = 16_384;
    public static final int DOM0_TRANSACTIONS = 1_024;
    public static final int DOM0_TRANSACTION_NODES = 65_536;
    public static final int STORE_NODES = 500_000;
    public static final long STORE_BYTES = 256L << 20;

    public XsQuotas() {
        values.put("nodes", 1000);
        values.put("watches", 128);
        values.put("transactions", 10);
        values.put("outstanding", 20);
        values.put("transaction-nodes", 1024);
        values.put("memory", 2 * 1024 * 1024 + 512 * 1024);
        values.put("node-size", 2048);
        values.put("permissions", 5);
    }

    public synchronized int get(String name) { return values.get(name); }

    /** Sets a quota; false if there is no such quota (xenstored answers EINVAL). */
    public synchronized boolean set(String name, int value) {
        if (!values.containsKey(name) || value < 1) return false;
        values.put(name, value);
        return true;
    }

    /** xenstored's {@code quota} listing: "Quota settings:" then "%-17s: %8d %s" per quota. */
    public synchronized String describe() {
        StringBuilder sb = new StringBuilder("Quota settings:\n");
        for (var e : values.entrySet())
            sb.append(String.format("%-17s: %8d %s%n", e.getKey(), e.getValue(), DESCRIPTIONS.get(e.getKey())));
        return sb.toString();
    }
}
