package org.fallow.cli.stats;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * One record of Xen's tmem LIST text (Xen 4.12 tmem_control.c tmemc_list): a type tag ({@code G}, {@code S}, {@code C}, {@code P},
 * {@code T}) and its two-letter {@code key:value} fields in the order they were written. {@code SC} (a shared pool's
 * sharer) may repeat, so its values are kept separately.
 */
public record TmemListRecord(char tag, Map<String, String> fields, java.util.List<Integer> sharers) {
    public TmemListRecord {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        sharers = java.util.List.copyOf(sharers);
    }

    public boolean has(String key) { return fields.containsKey(key); }

    /** A decimal field (all fields but U0/U1), or empty when absent (short format, or a truncated listing). */
    public OptionalLong number(String key) {
        String v = fields.get(key);
        if (v == null || v.isEmpty()) return OptionalLong.empty();
        try {
            return OptionalLong.of(v.startsWith("-") ? Long.parseLong(v) : Long.parseUnsignedLong(v));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** A decimal field, or {@code dflt} when absent. */
    public long number(String key, long dflt) { return number(key).orElse(dflt); }

    /** U0/U1: lowercase hex without 0x. */
    public long hex(String key) {
        String v = fields.get(key);
        return v == null || v.isEmpty() ? 0 : Long.parseUnsignedLong(v, 16);
    }

    public String text(String key) { return fields.get(key); }
}
