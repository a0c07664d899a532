package org.fallow.abi.xen;

import java.util.ArrayList;
import java.util.List;

/**
 * The rows of {@code abi layouts}: {@code profile<TAB>struct<TAB>field<TAB>offset<TAB>size}, one per named member at
 * any depth (dotted paths, arrays whole), then a {@code <sizeof>} row (offset 0, size = sizeof) per struct.
 */
public final class LayoutTable {
    private LayoutTable() {}

    public static final String SIZEOF = "<sizeof>";

    public record Row(String profile, String struct, String field, long offset, long size) {
        public String tsv() { return profile + "\t" + struct + "\t" + field + "\t" + offset + "\t" + size; }
    }

    public static List<Row> rows(AbiStruct s) {
        List<Row> rows = new ArrayList<>();
        for (LayoutField f : s.fields()) rows.add(new Row(s.profile().label(), s.name(), f.path(), f.offset(), f.size()));
        rows.add(new Row(s.profile().label(), s.name(), SIZEOF, 0, s.size()));
        return rows;
    }

    public static List<Row> rows(List<AbiStruct> structs) {
        List<Row> rows = new ArrayList<>();
        for (AbiStruct s : structs) rows.addAll(rows(s));
        return rows;
    }
}
