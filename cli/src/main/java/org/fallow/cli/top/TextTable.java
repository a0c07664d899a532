package org.fallow.cli.top;

import java.util.List;

/** Column-aligned plain-text tables: the first column left-aligned and textual columns too, numbers right-aligned. */
public final class TextTable {
    private TextTable() { }

    /** Formats rows (the first row is the header) with {@code gap} spaces between columns, one line per row. */
    public static String format(List<String[]> rows, int gap) {
        int cols = 0;
        for (String[] r : rows) cols = Math.max(cols, r.length);
        int[] width = new int[cols];
        boolean[] numeric = new boolean[cols];
        java.util.Arrays.fill(numeric, true);
        for (int ri = 0; ri < rows.size(); ri++) {
            String[] r = rows.get(ri);
            for (int c = 0; c < r.length; c++) {
                String cell = r[c] == null ? "" : r[c];
                width[c] = Math.max(width[c], cell.length());
                if (ri > 0 && !cell.isEmpty() && !cell.equals("-") && !looksNumeric(cell)) numeric[c] = false;
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < cols; c++) {
                String cell = c < r.length && r[c] != null ? r[c] : "";
                if (c > 0) line.repeat(' ', gap);
                int pad = width[c] - cell.length();
                if (numeric[c] && c > 0) line.repeat(' ', pad).append(cell);
                else line.append(cell).repeat(' ', c == cols - 1 ? 0 : pad);
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }

    static boolean looksNumeric(String s) {
        return s.matches("-?[0-9][0-9.,]*[%x]?");
    }
}
