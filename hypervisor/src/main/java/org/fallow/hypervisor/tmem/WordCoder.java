package org.fallow.hypervisor.tmem;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The word coder of the {@code words} codec ({@link TmemCompression#WORDS}): a page as 512 little-endian 8-byte words,
 * each stored as the XOR of itself and a <em>reference</em> (zero, or one of the 7 words before it), keeping only the
 * residual's non-zero bytes. Heap pages are mostly pointers, small integers, object headers and zero fields: a word
 * is often zero, equal to a word a few places back, or differs from one only in its low bytes. The reference chosen
 * is the one leaving the fewest non-zero bytes (ties: the nearer one, the word itself first), so the choice costs a
 * few vector instructions per word ({@link WordCoderVector}) instead of LZ4's hashing of every byte position.
 *
 * <pre>
 *  0                        256
 *  +------------------------+----------+----------+-----+-----------+
 *  | 64 tag words, u32 LE   | group 0  | group 1  | ... | group 63  |   (a compressed page: 256 .. 4864 bytes)
 *  +------------------------+----------+----------+-----+-----------+
 *
 *  tag word g, nibble j (bits 4j .. 4j+3): word i = 8g + j of the page
 *   3   2       0
 *  +---+---------+
 *  | m |    k    |   k = 0: reference 0; k = 1..7: reference = word i - k (words before the page are 0)
 *  +---+---------+   m = 1: a residual follows in the group; m = 0: the word equals its reference
 *
 *  group g (its words with m = 1, in word order):
 *  +--------------------------+-----------------------------------------------+
 *  | one mask byte per word   | each word's residual bytes whose mask bit is  |
 *  | (bit b: byte b non-zero) | set, lowest byte first                        |
 *  +--------------------------+-----------------------------------------------+
 * </pre>
 *
 * A zero word is tag 0 (no bytes), a word equal to one of the 7 before it one nibble, any other word one mask byte and
 * its residual's non-zero bytes. The encoders read the guest's frame in place, as LZ4 does (the first group from a
 * copy behind 64 zero bytes): a guest writing its frame meanwhile can only spoil its own page (a word may be XORed
 * with a different read of its reference than the decoder will use), and the output stays within 72 bytes a group
 * and the limit. The decoder bounds every read by the input's length, so a damaged slot throws instead of reading
 * past it.
 */
final class WordCoder {
    static final int WORDS = TmemDefs.PAGE_SIZE / 8;
    static final int GROUPS = WORDS / 8;
    /** The tag words, 4 bytes per group of 8 words. */
    static final int TAG_BYTES = GROUPS * 4;
    /** The zero bytes before the page's first word (the references of words 0..6), in the encoders' head buffer. */
    static final int PAD = 64;

    /**
     * An encoder's head buffer: {@link #PAD} zero bytes, then room for the page's first group (64 bytes), which the
     * encoder copies there ({@link #PAD}) so that group 0's references read zeros, as the decoder assumes.
     */
    static MemorySegment newHead() { return java.lang.foreign.Arena.ofAuto().allocate(PAD + 64, 64); }
    /** An output buffer's size: the longest output (every word raw: 256 + 64 * 72) and room for 64-byte stores past it. */
    static final int OUTPUT_BYTES = TAG_BYTES + GROUPS * 72 + 128;
    /** The decoder's scratch: the last words decoded, by word number mod 16. */
    static final int WINDOW = 16;

    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final long HIGH_BITS = 0x8080808080808080L;
    static final long LOW_7 = 0x7F7F7F7F7F7F7F7FL;
    static final long LOW_BITS = 0x0101010101010101L;

    /** An encoder of a page into {@code out} ({@link #OUTPUT_BYTES}), and its decoder. Not thread-safe (scratch). */
    interface Coder {
        /** Encodes the 4096 bytes at the start of {@code page}: the output's length, or -1 once it exceeds {@code limit}. */
        int encode(MemorySegment page, MemorySegment out, int limit);

        /** As {@link WordCoder#decode}. */
        default void decode(MemorySegment src, long off, int n, MemorySegment page, long[] window) {
            WordCoder.decode(src, off, n, page, window);
        }

        String name();
    }

    private WordCoder() {}

    /** The vector coder where this JVM has the Vector API with 512-bit vectors, else a {@link Scalar} one. */
    static Coder bestCoder() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return new Scalar();
        try {
            return WordCoderVector.usable() ? new WordCoderVector() : new Scalar();
        } catch (LinkageError e) {
            return new Scalar();
        }
    }

    /** Bit 7 of each byte of {@code w} set where that byte is non-zero. */
    static long nonZeroBytes(long w) { return (((w & LOW_7) + LOW_7) | w) & HIGH_BITS; }

    /** The same output as {@link WordCoderVector}, a word at a time. Not thread-safe (its group scratch). */
    static final class Scalar implements Coder {
        private final long[] residual = new long[8];
        private final long[] hi = new long[8];

        /** The page's first group and the 64 zero bytes before it. */
        private final MemorySegment head = newHead();

        @Override
        public int encode(MemorySegment page, MemorySegment out, int limit) {
            MemorySegment.copy(page, 0, head, PAD, 64);
            int p = TAG_BYTES;
            for (int g = 0; g < GROUPS; g++) {
                int tags = 0, nMasks = 0;
                long masks = 0;
                MemorySegment src = g == 0 ? head : page;
                long base = g == 0 ? PAD : 64L * g;
                for (int j = 0; j < 8; j++) {
                    long at = base + 8L * j;
                    long x = src.get(LONG, at);
                    long best = x, bestHi = nonZeroBytes(x);
                    int bestCount = Long.bitCount(bestHi), bestK = 0;
                    for (int k = 1; k <= 7; k++) {
                        long r = x ^ src.get(LONG, at - 8L * k);
                        long h = nonZeroBytes(r);
                        int c = Long.bitCount(h);
                        if (c < bestCount) { best = r; bestHi = h; bestCount = c; bestK = k; }
                    }
                    int tag = bestK;
                    if (best != 0) {
                        tag |= 8;
                        masks |= Long.compress(bestHi, HIGH_BITS) << (8 * nMasks);
                        residual[nMasks] = best;
                        hi[nMasks++] = bestHi;
                    }
                    tags |= tag << (4 * j);
                }
                out.set(INT, 4L * g, tags);
                for (int m = 0; m < nMasks; m++) out.set(ValueLayout.JAVA_BYTE, p++, (byte) (masks >>> (8 * m)));
                for (int m = 0; m < nMasks; m++) {
                    out.set(LONG, p, Long.compress(residual[m], (hi[m] >>> 7) * 0xFF));
                    p += Long.bitCount(hi[m]);
                }
                if (p > limit) return -1;
            }
            return p;
        }

        @Override public String name() { return "scalar"; }
    }

    /**
     * Decodes {@code n} bytes at {@code off} of {@code src} into the 4096 bytes at the start of {@code page};
     * {@code window} is the caller's scratch, {@link #WINDOW} longs.
     *
     * @throws IllegalStateException if the input ends early or has bytes left over
     */
    static void decode(MemorySegment src, long off, int n, MemorySegment page, long[] window) {
        if (n < TAG_BYTES) throw new IllegalStateException("tmem: word-coded page of " + n + " bytes");
        long end = off + n;
        long fastEnd = Math.min(end, src.byteSize() - 8); // an 8-byte read at d < fastEnd stays inside src
        long p = off + TAG_BYTES;
        // the words decoded, by word number mod 16; a word's own slot is zeroed before its reference is read, so that
        // reference k = 0 (slot i - 0) reads zero without a branch; words before the page read zero
        java.util.Arrays.fill(window, 0);
        for (int g = 0; g < GROUPS; g++) {
            int tags = src.get(INT, off + 4L * g);
            long q = p;
            long d = p + Integer.bitCount(tags & 0x88888888);
            if (d > end) throw new IllegalStateException("tmem: word-coded page ends in group " + g);
            for (int j = 0; j < 8; j++) {
                int t = tags >>> (4 * j);
                int i = 8 * g + j;
                window[i & 15] = 0;
                long x = window[(i - (t & 7)) & 15];
                if ((t & 8) != 0) {
                    int mask = src.get(ValueLayout.JAVA_BYTE, q++) & 0xFF;
                    int len = Integer.bitCount(mask);
                    if (d + len > end) throw new IllegalStateException("tmem: word-coded page ends in group " + g);
                    long packed = d < fastEnd ? src.get(LONG, d) : tail(src, d, len);
                    x ^= Long.expand(packed, Long.expand(mask, LOW_BITS) * 0xFF);
                    d += len;
                }
                window[i & 15] = x;
                page.set(LONG, 8L * i, x);
            }
            p = d;
        }
        if (p != end) throw new IllegalStateException("tmem: word-coded page has " + (end - p) + " bytes left over");
    }

    /** {@code len} bytes at {@code d}, little-endian, without reading past them. */
    private static long tail(MemorySegment src, long d, int len) {
        long v = 0;
        for (int b = 0; b < len; b++) v |= (src.get(ValueLayout.JAVA_BYTE, d + b) & 0xFFL) << (8 * b);
        return v;
    }
}
