package org.fallow.hypervisor.tmem;

import java.util.Locale;

/**
 * The page compression of an engine, for clients whose compress flag is set (boot option {@code fallow.tmem.codec}):
 * {@link #WORDS} (the default: same-filled test, then the word coder, LZ4 for pages it leaves long), {@link #LZ4}
 * (same-filled test, then LZ4) or {@link #LZO} (Xen's LZO1X on every page).
 * See {@link PageCodec}.
 */
public enum TmemCompression {
    WORDS, LZ4, LZO;

    /** {@link #WORDS}: a page the word coder leaves longer than this many bytes is LZ4-compressed too (shorter kept). */
    public static final int WORDS_LZ4_ABOVE = 3500;

    public static TmemCompression parse(String s) { return valueOf(s.trim().toUpperCase(Locale.ROOT)); }

    public String label() { return name().toLowerCase(Locale.ROOT); }
}
