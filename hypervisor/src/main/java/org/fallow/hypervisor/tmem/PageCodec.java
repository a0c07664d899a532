package org.fallow.hypervisor.tmem;

import io.airlift.compress.v3.lzo.LzoCompressor;
import io.airlift.compress.v3.lzo.LzoDecompressor;

import java.util.Arrays;

/**
 * LZO1X compression of 4096-byte pages (Xen used {@code lzo1x_1_compress} / {@code lzo1x_decompress_safe}), with
 * one reusable destination buffer, like Xen's per-CPU buffers. Not thread-safe: owned by the engine.
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

    /** Compresses {@code page}; returns the compressed copy, or null if it does not shrink below the limit. */
    byte[] compress(byte[] page) {
        int n = compressor.compress(page, 0, TmemDefs.PAGE_SIZE, dst, 0, dst.length);
        if (n <= 0 || n >= COMPRESS_POOR_LIMIT) return null;
        return Arrays.copyOf(dst, n);
    }

    /** Decompresses into {@code page} (4096 bytes); a short result is an internal error. */
    void decompress(byte[] data, byte[] page) {
        int n = decompressor.decompress(data, 0, data.length, page, 0, TmemDefs.PAGE_SIZE);
        if (n != TmemDefs.PAGE_SIZE) throw new IllegalStateException("tmem: LZO page decompressed to " + n + " bytes");
    }

    static boolean allZero(byte[] page) {
        for (int i = 0; i < page.length; i += 8) {
            if ((page[i] | page[i + 1] | page[i + 2] | page[i + 3] | page[i + 4] | page[i + 5] | page[i + 6] | page[i + 7]) != 0)
                return false;
        }
        return true;
    }
}
