package org.fallow.xc.tools;

/**
 * Memory sizes as xl parses them ({@code parse_mem_size_kb}): a whole number with an optional one-letter unit,
 * {@code b} bytes, {@code k} KiB, {@code m} MiB (the default), {@code g} GiB, {@code t} TiB, in either case. Unlike
 * xl, which passes a negative number on to libxl, a negative or malformed size is refused here with a message.
 */
public final class MemSize {
    private MemSize() { }

    /** The size in KiB; {@link ToolError} if it is not a size. */
    public static long kib(String text, String what) {
        String s = text == null ? "" : text.trim();
        if (!s.matches("\\d+[bBkKmMgGtT]?"))
            throw new ToolError("invalid " + what + " '" + text + "': give a size such as 512, 512m, 2g or 65536k (MiB when no unit is given)");
        char unit = Character.toLowerCase(s.charAt(s.length() - 1));
        String digits = Character.isDigit(unit) ? s : s.substring(0, s.length() - 1);
        long n;
        try {
            n = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new ToolError("invalid " + what + " '" + text + "': too large");
        }
        int shift = switch (unit) {
            case 't' -> 30;
            case 'g' -> 20;
            case 'k' -> 0;
            case 'b' -> -10;
            default -> 10; // m or none
        };
        if (shift < 0) return n >> -shift;
        if (n > (Long.MAX_VALUE >> shift)) throw new ToolError("invalid " + what + " '" + text + "': too large");
        return n << shift;
    }

    /** KiB as xl shows sizes: whole MiB when exact, else MiB with one decimal. */
    public static String mib(long kib) {
        return kib % 1024 == 0 ? (kib / 1024) + " MiB" : String.format(java.util.Locale.ROOT, "%.1f MiB", kib / 1024.0);
    }
}
