package org.fallow.hypervisor.tmem;

import java.util.Locale;

/**
 * The page compression of an engine, for clients whose compress flag is set (boot option {@code fallow.tmem.codec}):
 * {@link #LZ4} (the default: same-filled test, then LZ4) or {@link #LZO} (Xen's LZO1X on every page).
 * See {@link PageCodec}.
 */
public enum TmemCompression {
    LZ4, LZO;

    public static TmemCompression parse(String s) { return valueOf(s.trim().toUpperCase(Locale.ROOT)); }

    public String label() { return name().toLowerCase(Locale.ROOT); }
}
