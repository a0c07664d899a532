package org.fallow.hypervisor.tmem;

import java.util.Locale;

/**
 * The page compression of an engine, for clients whose compress flag is set (boot option {@code fallow.tmem.codec}):
 * {@link #WORDS} (same-filled test, then the word coder, LZ4 for pages it leaves long; the default where this JVM
 * has the word coder's vector encoder), {@link #LZ4} (same-filled test, then LZ4; the default elsewhere) or
 * {@link #LZO} (Xen's LZO1X on every page). See {@link #preferred()} and {@link PageCodec}.
 */
public enum TmemCompression {
    WORDS, LZ4, LZO;

    /** {@link #WORDS}: a page the word coder leaves longer than this many bytes is LZ4-compressed too (shorter kept). */
    public static final int WORDS_LZ4_ABOVE = 3500;

    public static TmemCompression parse(String s) { return valueOf(s.trim().toUpperCase(Locale.ROOT)); }

    /**
     * The default codec: {@link #WORDS} where the word coder runs on 512-bit vectors (the JDK's Vector API module is
     * present and the CPU has them), else {@link #LZ4}: the scalar word coder writes the same bytes but costs about
     * LZ4's CPU for fewer pages.
     */
    public static TmemCompression preferred() { return Preferred.CODEC; }

    /** Decided once, on first use (not when the enum is loaded). */
    private static final class Preferred {
        static final TmemCompression CODEC = WordCoder.bestCoder() instanceof WordCoder.Scalar ? LZ4 : WORDS;
    }

    public String label() { return name().toLowerCase(Locale.ROOT); }
}
