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
 * <li>{@code lz4} (the default): first zswap's same-filled test (the page is one 8-byte word repeated, found by one
 *     vectorised mismatch of the page against itself shifted by 8), stored as that word (8 bytes charged); otherwise
 *     LZ4 (liblz4 1.x as bundled by aircompressor, called through FFM, {@code LZ4_compress_fast_extState} at the
 *     engine's acceleration, boot option {@code fallow.tmem.lz4.acceleration}, default
 *     {@link #DEFAULT_LZ4_ACCELERATION}; aircompressor's Java LZ4, which has no acceleration, where the native
 *     library cannot be loaded). No probe before it: LZ4 is already cheaper than LZO on incompressible
 *     pages, and a probe would add to every compressible page ({@code bench tmem}'s rows, docs/BENCHMARKS.md).</li>
 * </ul>
 */
final class PageCodec {
    /**
     * Compressed sizes at or above this are stored raw ("compress_poor"). Xen's limit is
     * {@code xmem_pool_maxalloc}, the largest TLSF block that fits in one page: a page less two block headers.
     */
    static final int COMPRESS_POOR_LIMIT = TmemDefs.PAGE_SIZE - 2 * 16;
    static final int SAME_FILLED_BYTES = 8;
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
    private boolean lastSameFilled;
    private long sameFilled;

    PageCodec(TmemCompression algorithm) { this(algorithm, DEFAULT_LZ4_ACCELERATION); }

    /** {@code lz4Acceleration} (1..{@link #MAX_LZ4_ACCELERATION}) applies to native LZ4 only. */
    PageCodec(TmemCompression algorithm, int lz4Acceleration) {
        if (lz4Acceleration < 1 || lz4Acceleration > MAX_LZ4_ACCELERATION)
            throw new IllegalArgumentException("LZ4 acceleration must be in 1.." + MAX_LZ4_ACCELERATION + ", got " + lz4Acceleration);
        this.algorithm = algorithm;
        this.acceleration = lz4Acceleration;
        nativeLz4 = algorithm == TmemCompression.LZ4 && Lz4NativeCompressor.isEnabled();
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
    }

    TmemCompression algorithm() { return algorithm; }

    /** "lzo (java)", "lz4 (liblz4)", "lz4 (liblz4, acceleration N)" or "lz4 (java)". */
    String implementation() {
        if (algorithm == TmemCompression.LZO) return "lzo (java)";
        if (!nativeLz4) return "lz4 (java)";
        return acceleration == DEFAULT_LZ4_ACCELERATION ? "lz4 (liblz4)" : "lz4 (liblz4, acceleration " + acceleration + ")";
    }

    /**
     * Compresses the 4096 bytes at the start of {@code page} (native: the guest's frame or the engine's page buffer)
     * into {@link #output()}; returns the length, or -1 if it does not shrink below the limit. The page may change
     * while it is read (another thread of the guest writing its frame, as under Xen, whose LZO reads the client page):
     * LZ4 and LZO1X bound their output by the input positions they consume, not by the bytes' values, so the output
     * stays within {@code maxCompressedLength} and decompresses to some page; the guest gets what it raced for.
     */
    int compress(MemorySegment page) {
        lastSameFilled = false;
        if (algorithm == TmemCompression.LZ4
                && MemorySegment.mismatch(page, 0, TmemDefs.PAGE_SIZE - SAME_FILLED_BYTES, page, SAME_FILLED_BYTES, TmemDefs.PAGE_SIZE) < 0) {
            MemorySegment.copy(page, 0, dst, 0, SAME_FILLED_BYTES);
            lastSameFilled = true;
            sameFilled++;
            return SAME_FILLED_BYTES;
        }
        int n = compressor.compress(page.asSlice(0, TmemDefs.PAGE_SIZE), dst);
        return n <= 0 || n >= COMPRESS_POOR_LIMIT ? -1 : n;
    }

    /** The last {@link #compress} output. */
    MemorySegment output() { return dst; }

    /** True if the last output is a same-filled page's 8-byte word rather than compressed data. */
    boolean lastSameFilled() { return lastSameFilled; }

    /** Pages found same-filled since the engine started. */
    long sameFilledPages() { return sameFilled; }

    /**
     * Decompresses the {@code n} bytes at {@code off} in {@code src} into {@code page} (4096 bytes, native); a short
     * result is an internal error.
     */
    void decompress(MemorySegment src, long off, int n, boolean sameFilledWord, MemorySegment page) {
        if (sameFilledWord) {
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
