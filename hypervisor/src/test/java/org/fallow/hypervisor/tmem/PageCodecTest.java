package org.fallow.hypervisor.tmem;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** Both page codecs round-trip pages; LZ4 stores same-filled pages as their word, LZO (Xen's) compresses every page. */
class PageCodecTest {
    private final Arena arena = Arena.ofAuto();

    private MemorySegment page() { return arena.allocate(TmemDefs.PAGE_SIZE, TmemDefs.PAGE_SIZE); }

    private static void text(MemorySegment p, int seed) {
        byte[] t = ("object header " + seed + " klass 0x7f00 field=value; ").getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < TmemDefs.PAGE_SIZE; i++) p.set(ValueLayout.JAVA_BYTE, i, t[i % t.length]);
    }

    private static void random(MemorySegment p, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < TmemDefs.PAGE_SIZE; i += 8) p.set(ValueLayout.JAVA_LONG_UNALIGNED, i, r.nextLong());
    }

    /** Compresses {@code p}, copies the output out (as a slab would), decompresses it into a fresh page. */
    private MemorySegment roundTrip(PageCodec c, MemorySegment p, int n) {
        MemorySegment stored = arena.allocate(n + 16);
        MemorySegment.copy(c.output(), 0, stored, 5, n);
        MemorySegment back = page();
        back.fill((byte) 0x5A);
        c.decompress(stored, 5, n, c.lastFormat(), back);
        return back;
    }

    @Test void bothCodecsRoundTripCompressiblePages() {
        for (TmemCompression alg : TmemCompression.values()) {
            PageCodec c = new PageCodec(alg);
            MemorySegment p = page();
            text(p, 7);
            int n = c.compress(p);
            assertTrue(n > 0 && n < 1024, alg + " compresses text to " + n);
            assertFalse(c.lastSameFilled());
            assertEquals(-1, roundTrip(c, p, n).mismatch(p), alg + " round trip");
        }
    }

    /** A heap-like page: object headers, small ints, pointers into one region, zero fields. */
    private static void heapLike(MemorySegment p, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < TmemDefs.PAGE_SIZE; i += 8) {
            long w = switch ((i >>> 3) % 4) {
                case 0 -> 0x0000000100000001L;
                case 1 -> 0x00007f3a10000000L + (r.nextInt(1 << 20) << 3);
                case 2 -> r.nextInt(100);
                default -> 0;
            };
            p.set(ValueLayout.JAVA_LONG_UNALIGNED, i, w);
        }
    }

    /**
     * The word coder reads and writes a guest frame of a file mapping (the hypervisor's case) through a plain native
     * view of it (PageCodec.coderView): the same bytes as from a native copy of the page, and back into the mapping.
     */
    @Test void wordsCodeAMappedGuestFrameAsTheyCodeANativePage(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = dir.resolve("dom1.mem");
        try (java.nio.channels.FileChannel fc = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE);
             Arena shared = Arena.ofShared()) {
            MemorySegment mapping = fc.map(java.nio.channels.FileChannel.MapMode.READ_WRITE, 0, 4L * TmemDefs.PAGE_SIZE, shared);
            MemorySegment frame = mapping.asSlice(2L * TmemDefs.PAGE_SIZE, TmemDefs.PAGE_SIZE);
            heapLike(frame, 11);
            MemorySegment copy = page();
            MemorySegment.copy(frame, 0, copy, 0, TmemDefs.PAGE_SIZE);
            PageCodec c = new PageCodec(TmemCompression.WORDS);
            int fromCopy = c.compress(copy);
            assertEquals(PageCodec.WORDS, c.lastFormat(), "a heap-like page stays word-coded");
            byte[] expected = c.output().asSlice(0, fromCopy).toArray(ValueLayout.JAVA_BYTE);
            int fromFrame = c.compress(frame);
            assertEquals(fromCopy, fromFrame);
            assertArrayEquals(expected, c.output().asSlice(0, fromFrame).toArray(ValueLayout.JAVA_BYTE));
            MemorySegment stored = arena.allocate(fromFrame + 64);
            MemorySegment.copy(c.output(), 0, stored, 0, fromFrame);
            frame.fill((byte) 0x5A);
            c.decompress(stored, 0, fromFrame, PageCodec.WORDS, frame);
            assertEquals(-1, frame.mismatch(copy), "decoded into the mapped frame");
            assertEquals(0, mapping.get(ValueLayout.JAVA_LONG, 3L * TmemDefs.PAGE_SIZE), "the next frame untouched");
        }
    }

    @Test void incompressiblePagesArePoorForBoth() {
        for (TmemCompression alg : TmemCompression.values()) {
            PageCodec c = new PageCodec(alg);
            MemorySegment p = page();
            random(p, 3);
            assertEquals(-1, c.compress(p), alg.label());
        }
    }

    @Test void lz4StoresSameFilledPagesAsTheirWord() {
        PageCodec c = new PageCodec(TmemCompression.LZ4);
        MemorySegment zero = page();
        assertEquals(PageCodec.SAME_FILLED_BYTES, c.compress(zero));
        assertTrue(c.lastSameFilled());
        assertEquals(-1, roundTrip(c, zero, 8).mismatch(zero));
        MemorySegment filled = page();
        for (int i = 0; i < TmemDefs.PAGE_SIZE; i += 8) filled.set(ValueLayout.JAVA_LONG_UNALIGNED, i, 0x0123_4567_89AB_CDEFL);
        assertEquals(8, c.compress(filled));
        assertTrue(c.lastSameFilled());
        assertEquals(-1, roundTrip(c, filled, 8).mismatch(filled));
        assertEquals(2, c.sameFilledPages());
        filled.set(ValueLayout.JAVA_BYTE, 4095, (byte) 0); // one byte off: not same-filled, LZ4 still shrinks it
        int n = c.compress(filled);
        assertFalse(c.lastSameFilled());
        assertTrue(n > 8 && n < 100, "lz4 " + n);
        assertEquals(-1, roundTrip(c, filled, n).mismatch(filled));
    }

    @Test void lzoHasNoSameFilledShortcutAsInXen() {
        PageCodec c = new PageCodec(TmemCompression.LZO);
        MemorySegment zero = page();
        int n = c.compress(zero);
        assertFalse(c.lastSameFilled(), "Xen 4.12 LZO-compresses a zero page like any other");
        assertTrue(n > PageCodec.SAME_FILLED_BYTES, "its LZO1X stream, " + n + " bytes");
        assertEquals(-1, roundTrip(c, zero, n).mismatch(zero));
        assertEquals(0, c.sameFilledPages());
    }

    /**
     * A higher LZ4 acceleration (the {@code fallow.tmem.lz4.acceleration} boot option) still round-trips text, a
     * half-random page and a same-filled one byte for byte, compressing no better than acceleration 1; values outside
     * liblz4's range are refused.
     */
    @Test void lz4AccelerationRoundTripsAndTradesRatio() {
        PageCodec a1 = new PageCodec(TmemCompression.LZ4, 1);
        PageCodec a8 = new PageCodec(TmemCompression.LZ4, 8);
        MemorySegment half = page();
        text(half, 11);
        MemorySegment noise = page();
        random(noise, 5);
        MemorySegment.copy(noise, 0, half, 0, TmemDefs.PAGE_SIZE / 2);
        MemorySegment txt = page();
        text(txt, 3);
        for (MemorySegment p : new MemorySegment[] {txt, half}) {
            int n1 = a1.compress(p);
            assertEquals(-1, roundTrip(a1, p, n1).mismatch(p), "acceleration 1");
            int n8 = a8.compress(p);
            assertTrue(n8 > 0 && n8 >= n1, "acceleration 8: " + n8 + " bytes, acceleration 1: " + n1);
            assertEquals(-1, roundTrip(a8, p, n8).mismatch(p), "acceleration 8");
        }
        MemorySegment filled = page();
        filled.fill((byte) 0x3C);
        assertEquals(PageCodec.SAME_FILLED_BYTES, a8.compress(filled));
        assertEquals(-1, roundTrip(a8, filled, PageCodec.SAME_FILLED_BYTES).mismatch(filled));
        assertThrows(IllegalArgumentException.class, () -> new PageCodec(TmemCompression.LZ4, 0));
        assertThrows(IllegalArgumentException.class, () -> new PageCodec(TmemCompression.LZ4, PageCodec.MAX_LZ4_ACCELERATION + 1));
    }
}
