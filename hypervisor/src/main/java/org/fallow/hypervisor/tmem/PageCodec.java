package org.fallow.hypervisor.tmem;

import io.airlift.compress.v3.lzo.LzoCompressor;
import io.airlift.compress.v3.lzo.LzoDecompressor;

/**
 * LZO1X compression of 4096-byte pages (Xen used {@code lzo1x_1_compress} / {@code lzo1x_decompress_safe}), with
 * reusable buffers, like Xen's per-CPU buffers. Not thread-safe: owned by the engine.
 */
final class PageCodec {
    /**
     * Compressed sizes at or above this are stored raw ("compress_poor"). Xen's limit is
     * {@code xmem_pool_maxalloc}, the largest TLSF block that fits in one page: a page less two block headers.
     */
    static final int COMPRESS_POOR_LIMIT = TmemDefs.PAGE_SIZE - 2 * 16;

    private final LzoCompressor compressor = new LzoCompressor();
    private final LzoDecompressor decompressor = new LzoDecompressor();
    private final byte[] dst = new byte[compressor.maxCompressedLength(TmemDefs.PAGE_SIZE)];
    private final byte[] src = new byte[COMPRESS_POOR_LIMIT];
    private boolean lastSameFilled;

    /** Compresses {@code page} into {@link #output()}; returns the length, or -1 if it does not shrink below the limit. */
    int compress(byte[] page) {
        lastSameFilled = false;
        int n = compressor.compress(page, 0, TmemDefs.PAGE_SIZE, dst, 0, dst.length);
        return n <= 0 || n >= COMPRESS_POOR_LIMIT ? -1 : n;
    }

    /** The last {@link #compress} output. */
    byte[] output() { return dst; }

    /** True if the last output is a same-filled page's 8-byte word rather than compressed data. */
    boolean lastSameFilled() { return lastSameFilled; }

    /** A buffer large enough for any stored compressed payload. */
    byte[] input() { return src; }

    /** Decompresses {@code n} bytes of {@code data} into {@code page} (4096 bytes); a short result is an internal error. */
    void decompress(byte[] data, int n, boolean sameFilled, byte[] page) {
        int m = decompressor.decompress(data, 0, n, page, 0, TmemDefs.PAGE_SIZE);
        if (m != TmemDefs.PAGE_SIZE) throw new IllegalStateException("tmem: LZO page decompressed to " + m + " bytes");
    }
}
