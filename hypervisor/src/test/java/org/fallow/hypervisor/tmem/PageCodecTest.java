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
