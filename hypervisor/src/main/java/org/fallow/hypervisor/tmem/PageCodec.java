package org.fallow.hypervisor.tmem;

import io.airlift.compress.v3.Compressor;
import io.airlift.compress.v3.Decompressor;
import io.airlift.compress.v3.lz4.Lz4JavaCompressor;
import io.airlift.compress.v3.lz4.Lz4JavaDecompressor;
import io.airlift.compress.v3.lz4.Lz4NativeCompressor;
import io.airlift.compress.v3.lz4.Lz4NativeDecompressor;
import io.airlift.compress.v3.lzo.LzoCompressor;
import io.airlift.compress.v3.lzo.LzoDecompressor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Compression of 4096-byte pages for clients with the compress flag, native memory to native memory: from the
 * guest's frame itself (as Xen's {@code tmem_compress_from_client} compresses the mapped client page; a 2009 partial
 * put's page is first assembled in the engine's page buffer) into a reusable output buffer (Xen's per-CPU
 * {@code dstmem}), which the engine copies into a slab slot of the compressed size; and from the slab straight into
 * the guest's frame on a get (Xen's {@code tmem_decompress_to_client}). Not thread-safe: owned by the engine.
 * Two algorithms ({@link TmemCompression}):
 * <ul>
 * <li>{@code lzo}: Xen's choice, LZO1X ({@code lzo1x_1_compress} / {@code lzo1x_decompress_safe}; aircompressor's
 *     Java implementation) on every page, exactly as Xen 4.12 does (an all-zero page is compressed and charged like
 *     any other);</li>
 * <li>{@code lz4}: first zswap's same-filled test (the page is one 8-byte word repeated, found by one
 *     vectorised mismatch of the page against itself shifted by 8), stored as that word (8 bytes charged); otherwise
 *     LZ4 (liblz4 1.x as bundled by aircompressor, called through FFM, {@code LZ4_compress_fast_extState} at the
 *     engine's acceleration, boot option {@code fallow.tmem.lz4.acceleration}, default
 *     {@link #DEFAULT_LZ4_ACCELERATION}; aircompressor's Java LZ4, which has no acceleration, where the native
 *     library cannot be loaded). No probe before it: LZ4 is already cheaper than LZO on incompressible
 *     pages, and a probe would add to every compressible page ({@code bench tmem}'s rows, docs/BENCHMARKS.md).</li>
 * <li>{@code words} (the default where its vector coder runs, {@link TmemCompression#preferred()}; else
 *     {@code lz4} is): the same-filled test, then the {@link WordCoder} on the page (each
 *     8-byte word as its non-zero bytes after XOR with zero or one of the 7 words before it; about a fifth of LZ4's
 *     CPU on heap pages with 512-bit vectors); a page it leaves above {@link #LZ4_TRY_ABOVE} bytes (text, tables of
 *     bytes) is LZ4-compressed too, and the shorter of the two kept. The slot's header says which.</li>
 * </ul>
 */
final class PageCodec {
    /**
     * Compressed sizes at or above this are stored raw ("compress_poor"). Xen's limit is
     * {@code xmem_pool_maxalloc}, the largest TLSF block that fits in one page: a page less two block headers.
     */
    static final int COMPRESS_POOR_LIMIT = TmemDefs.PAGE_SIZE - 2 * 16;
    static final int SAME_FILLED_BYTES = 8;
    /** {@code words}: a page the word coder leaves longer than this is also tried with LZ4. */
    static final int LZ4_TRY_ABOVE = TmemCompression.WORDS_LZ4_ABOVE;
    /** What {@link #compress} produced ({@link #lastFormat}): the algorithm's stream (LZ4 or LZO). */
    static final int STREAM = 0;
    /** ... a same-filled page's 8-byte word. */
    static final int SAME_FILLED = PageSlabs.SAME_FILLED;
    /** ... {@link WordCoder} output. */
    static final int WORDS = PageSlabs.WORDS;
    /** liblz4's {@code LZ4_ACCELERATION_DEFAULT}. */
    static final int DEFAULT_LZ4_ACCELERATION = 1;
    /** liblz4's {@code LZ4_ACCELERATION_MAX}: it clamps higher values to this. */
    static final int MAX_LZ4_ACCELERATION = 65537;

    private final TmemCompression algorithm;
    private final int acceleration;
    private final boolean nativeLz4;
    private final Compressor compressor;
    private final Decompressor decompressor;
    private final MemorySegment dst;
    private final WordCoder.Coder words;
    private final MemorySegment wordsOut;
    private final long[] wordWindow = new long[WordCoder.WINDOW];
    private MemorySegment output;
    private int lastFormat;
    private long sameFilled;

    PageCodec(TmemCompression algorithm) { this(algorithm, DEFAULT_LZ4_ACCELERATION); }

    /** {@code lz4Acceleration} (1..{@link #MAX_LZ4_ACCELERATION}) applies to native LZ4 only. */
    PageCodec(TmemCompression algorithm, int lz4Acceleration) {
        if (lz4Acceleration < 1 || lz4Acceleration > MAX_LZ4_ACCELERATION)
            throw new IllegalArgumentException("LZ4 acceleration must be in 1.." + MAX_LZ4_ACCELERATION + ", got " + lz4Acceleration);
        this.algorithm = algorithm;
        this.acceleration = lz4Acceleration;
        nativeLz4 = algorithm != TmemCompression.LZO && Lz4NativeCompressor.isEnabled();
        if (algorithm == TmemCompression.LZO) {
            compressor = new LzoCompressor();
            decompressor = new LzoDecompressor();
        } else if (nativeLz4) {
            compressor = new Lz4NativeCompressor(lz4Acceleration);
            decompressor = new Lz4NativeDecompressor();
        } else {
            compressor = new Lz4JavaCompressor();
            decompressor = new Lz4JavaDecompressor();
        }
        dst = Arena.ofAuto().allocate(compressor.maxCompressedLength(TmemDefs.PAGE_SIZE), 64);
        output = dst;
        if (algorithm == TmemCompression.WORDS) {
            words = WordCoder.bestCoder();
            wordsOut = Arena.ofAuto().allocate(WordCoder.OUTPUT_BYTES, 64);
        } else {
            words = null;
            wordsOut = null;
        }
    }

    TmemCompression algorithm() { return algorithm; }

    /**
     * "lzo (java)", "lz4 (liblz4)", "lz4 (liblz4, acceleration N)", "lz4 (java)", or for {@code words} "words (vector)"
     * or "words (scalar)" and its LZ4's, e.g. "words (vector) + lz4 (liblz4)".
     */
    String implementation() {
        if (algorithm == TmemCompression.LZO) return "lzo (java)";
        String lz4 = !nativeLz4 ? "lz4 (java)"
                : acceleration == DEFAULT_LZ4_ACCELERATION ? "lz4 (liblz4)" : "lz4 (liblz4, acceleration " + acceleration + ")";
        return algorithm == TmemCompression.WORDS ? "words (" + words.name() + ") + " + lz4 : lz4;
    }

    /**
     * Compresses the 4096 bytes at the start of {@code page} (native: the guest's frame or the engine's page buffer)
     * into {@link #output()}; returns the length, or -1 if it does not shrink below the limit. The page may change
     * while it is read (another thread of the guest writing its frame, as under Xen, whose LZO reads the client page):
     * LZ4 and LZO1X bound their output by the input positions they consume, not by the bytes' values, so the output
     * stays within {@code maxCompressedLength} and decompresses to some page; the guest gets what it raced for.
     */
    int compress(MemorySegment page) {
        lastFormat = STREAM;
        output = dst;
        if (algorithm != TmemCompression.LZO
                && MemorySegment.mismatch(page, 0, TmemDefs.PAGE_SIZE - SAME_FILLED_BYTES, page, SAME_FILLED_BYTES, TmemDefs.PAGE_SIZE) < 0) {
            MemorySegment.copy(page, 0, dst, 0, SAME_FILLED_BYTES);
            lastFormat = SAME_FILLED;
            sameFilled++;
            return SAME_FILLED_BYTES;
        }
        if (algorithm == TmemCompression.WORDS) return compressWords(page);
        int n = compressor.compress(page.asSlice(0, TmemDefs.PAGE_SIZE), dst);
        return n <= 0 || n >= COMPRESS_POOR_LIMIT ? -1 : n;
    }

    /** {@code words}: the word coder on the page, LZ4 too if it leaves more than {@link #LZ4_TRY_ABOVE}. */
    private int compressWords(MemorySegment page) {
        int w = words.encode(coderView(page), wordsOut, COMPRESS_POOR_LIMIT - 1);
        if (w < 0 || w > LZ4_TRY_ABOVE) {
            int n = compressor.compress(page.asSlice(0, TmemDefs.PAGE_SIZE), dst);
            if (n > 0 && n < COMPRESS_POOR_LIMIT && (w < 0 || n < w)) return n;
            if (w < 0) return -1;
        }
        output = wordsOut;
        lastFormat = WORDS;
        return w;
    }

    /**
     * The word coder's view of a native page: a plain native segment of its 4096 bytes at its address. A guest frame
     * in the hypervisor is a slice of a file mapping ({@code MappedMemorySegmentImpl}, a shared arena's session checked
     * on every access), while the coder's head buffer and the slabs are plain native segments: C2 compiled the
     * vector coder for both classes and it ran ~25 % slower a page than on plain native pages (1.55-1.64 µs against
     * 1.22-1.26 µs, scratch measure on the heap-image corpus, docs/BENCHMARKS.md session 9). The view lives for this
     * call only, on the engine's thread, which is also the only one that could unmap the frame.
     */
    private static MemorySegment coderView(MemorySegment page) {
        return page.isNative() ? MemorySegment.ofAddress(page.address()).reinterpret(TmemDefs.PAGE_SIZE) : page;
    }

    /** The last {@link #compress} output. */
    MemorySegment output() { return output; }

    /** What the last output is: {@link #STREAM}, {@link #SAME_FILLED} or {@link #WORDS} (the slot header's flag). */
    int lastFormat() { return lastFormat; }

    /** True if the last output is a same-filled page's 8-byte word rather than compressed data. */
    boolean lastSameFilled() { return lastFormat == SAME_FILLED; }

    /** Pages found same-filled since the engine started. */
    long sameFilledPages() { return sameFilled; }

    /**
     * Decompresses the {@code n} bytes at {@code off} in {@code src}, of {@code format} ({@link #lastFormat} when they
     * were compressed), into {@code page} (4096 bytes, native); a short result is an internal error.
     */
    void decompress(MemorySegment src, long off, int n, int format, MemorySegment page) {
        if (format == WORDS) {
            if (words != null) words.decode(src, off, n, coderView(page), wordWindow);
            else WordCoder.decode(src, off, n, page, wordWindow);
            return;
        }
        if (format == SAME_FILLED) {
            if (n != SAME_FILLED_BYTES) throw new IllegalStateException("tmem: same-filled page of " + n + " bytes");
            long word = src.get(ValueLayout.JAVA_LONG_UNALIGNED, off);
            if (word == 0) page.asSlice(0, TmemDefs.PAGE_SIZE).fill((byte) 0);
            else for (int i = 0; i < TmemDefs.PAGE_SIZE; i += SAME_FILLED_BYTES) page.set(ValueLayout.JAVA_LONG_UNALIGNED, i, word);
            return;
        }
        int m = decompressor.decompress(src.asSlice(off, n), page.asSlice(0, TmemDefs.PAGE_SIZE));
        if (m != TmemDefs.PAGE_SIZE)
            throw new IllegalStateException("tmem: " + algorithm.label() + " page decompressed to " + m + " bytes");
    }
}
