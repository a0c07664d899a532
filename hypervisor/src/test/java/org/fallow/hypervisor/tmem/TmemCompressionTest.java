package org.fallow.hypervisor.tmem;

import org.fallow.abi.XenErrno;
import org.junit.jupiter.api.Test;

import static org.fallow.hypervisor.tmem.TmemFixture.FLAGS_412;
import static org.fallow.hypervisor.tmem.TmemFixture.oid;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Compressed pages through the engine under each codec: data comes back byte for byte from the slabs, the compressed
 * bytes are charged to the arena (LZ4 charges a same-filled page its 8-byte word; LZO, like Xen, its LZO stream), and
 * everything is given back when the pages go.
 */
class TmemCompressionTest {
    static final int D = 5;

    private static TmemFixture fixture(TmemCompression codec) { return fixture(codec, PageCodec.DEFAULT_LZ4_ACCELERATION); }

    private static TmemFixture fixture(TmemCompression codec, int lz4Acceleration) {
        TmemFixture f = new TmemFixture(4096, new TmemEngine.Config(true, true, () -> 0, codec, lz4Acceleration));
        f.domain(D);
        return f;
    }

    /**
     * The 2009 T= line's counters are timed only for 2009-profile ops: a 4.12 put and get (compressed, and raw) read no
     * clock at all; the same ops under the 2009 profile read it (and count in the listing).
     */
    @Test void onlyTheOldProfileReadsTheClockForItsPerfLine() {
        for (TmemCompression codec : TmemCompression.values()) {
            TmemFixture f = fixture(codec);
            assertEquals(0, f.newPool(D, FLAGS_412));
            f.fillRandom(D, 1, 7);
            f.fillCompressible(D, 2, 3);
            assertEquals(1, f.put(D, 0, oid(1), 0, 1));
            assertEquals(1, f.put(D, 0, oid(1), 1, 2));
            assertEquals(1, f.get(D, 0, oid(1), 0, 3));
            assertEquals(1, f.get(D, 0, oid(1), 1, 4));
            assertArrayEquals(f.frame(D, 1), f.frame(D, 3));
            assertArrayEquals(f.frame(D, 2), f.frame(D, 4));
            assertEquals(0, f.clock.get(), codec + ": a 4.12 put/get reads no clock");

            f.profile = org.fallow.abi.AbiProfile.TMEM_2009;
            assertEquals(1, f.put(D, 0, oid(2), 0, 2));
            assertEquals(1, f.get(D, 0, oid(2), 0, 4));
            assertArrayEquals(f.frame(D, 2), f.frame(D, 4));
            assertTrue(f.clock.get() >= 4, codec + ": the 2009 put/get are timed (op and copy or (de)compression)");
        }
    }

    @Test void lz4ChargesASameFilledPageItsWordAndRestoresIt() {
        TmemFixture f = fixture(TmemCompression.LZ4);
        assertEquals(0, f.newPool(D, FLAGS_412 | TmemDefs.POOL_PERSIST));
        f.fillZero(D, 1);
        assertEquals(1, f.put(D, 0, oid(1), 0, 1));
        f.domain(D).ramFrame(2).fill((byte) 0x77);
        assertEquals(1, f.put(D, 0, oid(1), 1, 2));
        TmemClient c = f.engine.client(D);
        assertEquals(2, c.compressedPages);
        assertEquals(16, c.compressedBytes(), "two same-filled pages: 8 bytes each");
        assertEquals(16, f.engine.stats().compressedBytes());
        f.domain(D).ramFrame(3).fill((byte) 1);
        assertEquals(1, f.get(D, 0, oid(1), 0, 3));
        assertArrayEquals(new byte[4096], f.frame(D, 3));
        assertEquals(1, f.get(D, 0, oid(1), 1, 3));
        assertArrayEquals(f.frame(D, 2), f.frame(D, 3));
        assertEquals(1, f.flushObject(D, 0, oid(1)));
        assertEquals(0, c.compressedBytes());
        assertEquals(0, f.engine.stats().compressedBytes());
        assertEquals(0, f.engine.storedPages());
    }

    @Test void eachCodecRoundTripsMixedPagesAndGivesBackItsCharge() {
        for (TmemCompression codec : TmemCompression.values()) roundTripMixedPages(codec, fixture(codec));
    }

    @Test void lz4AtAHigherAccelerationRoundTripsMixedPages() {
        TmemFixture f = fixture(TmemCompression.LZ4, 8);
        assertEquals("lz4 (liblz4, acceleration 8)", f.engine.compressionImplementation());
        roundTripMixedPages(TmemCompression.LZ4, f);
    }

    /**
     * A compressed new put reads the guest's frame where it is (no copy into the page buffer first): the frame is
     * left as it was, the stored page comes back byte for byte after the frame changes, and a frame that is not RAM
     * is -EFAULT with nothing stored or charged; a poorly compressing page is stored raw from the frame. A get
     * decompresses straight into the guest's frame, over all of it; into a frame that is not RAM it is -EFAULT and
     * the page stays.
     */
    @Test void compressedPutReadsTheGuestFrameInPlace() {
        for (TmemCompression codec : TmemCompression.values()) {
            TmemFixture f = fixture(codec);
            assertEquals(0, f.newPool(D, FLAGS_412 | TmemDefs.POOL_PERSIST));
            long base = f.domain(D).totPages();
            f.fillCompressible(D, 1, 42);
            byte[] text = f.frame(D, 1);
            f.fillRandom(D, 2, 9);
            byte[] random = f.frame(D, 2);
            assertEquals(1, f.put(D, 0, oid(1), 0, 1));
            assertEquals(1, f.put(D, 0, oid(1), 1, 2));
            assertArrayEquals(text, f.frame(D, 1), codec + ": the frame is unchanged");
            TmemClient c = f.engine.client(D);
            assertEquals(1, c.compressedPages, codec.label());
            assertEquals(1, c.compressPoor, codec.label());
            f.fillZero(D, 1);
            f.fillZero(D, 2);
            assertEquals(1, f.get(D, 0, oid(1), 0, 3));
            assertArrayEquals(text, f.frame(D, 3), codec + ": compressed page");
            assertEquals(1, f.get(D, 0, oid(1), 1, 3));
            assertArrayEquals(random, f.frame(D, 3), codec + ": raw page");
            long charged = f.domain(D).totPages() - base;
            f.domain(D).notRam.add(4L);
            long faults = f.engine.stats.failedCopies;
            assertEquals(-XenErrno.EFAULT, f.put(D, 0, oid(1), 2, 4), codec + ": frame not RAM");
            assertEquals(faults + 1, f.engine.stats.failedCopies);
            assertEquals(2, f.engine.storedPages());
            assertEquals(charged, f.domain(D).totPages() - base, codec + ": nothing charged for the fault");
            assertEquals(-XenErrno.EFAULT, f.get(D, 0, oid(1), 0, 4), codec + ": get into a frame that is not RAM");
            assertEquals(faults + 2, f.engine.stats.failedCopies);
            f.domain(D).ramFrame(3).fill((byte) 0xA5);
            assertEquals(1, f.get(D, 0, oid(1), 0, 3), codec + ": the page is still there");
            assertArrayEquals(text, f.frame(D, 3), codec + ": decompressed over the whole frame");
        }
    }

    /**
     * A duplicate put over a compressed page also compresses the guest's frame where it is: new text replaces the
     * old byte for byte, a random page then replaces it raw (compress_poor's fallback copies the frame), and a frame
     * that is not RAM flushes the page (-EFAULT, Xen's bad_copy).
     */
    @Test void duplicatePutsReadTheGuestFrameInPlace() {
        for (TmemCompression codec : TmemCompression.values()) {
            TmemFixture f = fixture(codec);
            assertEquals(0, f.newPool(D, FLAGS_412 | TmemDefs.POOL_PERSIST));
            f.fillCompressible(D, 1, 1);
            assertEquals(1, f.put(D, 0, oid(1), 0, 1));
            f.fillCompressible(D, 1, 77);
            byte[] text = f.frame(D, 1);
            assertEquals(1, f.put(D, 0, oid(1), 0, 1), codec + ": dup put of new text");
            assertArrayEquals(text, f.frame(D, 1), codec + ": the frame is unchanged");
            assertEquals(1, f.get(D, 0, oid(1), 0, 3));
            assertArrayEquals(text, f.frame(D, 3), codec + ": the new text came back");
            assertTrue(f.engine.compressed(f.engine.client(D).pool(0).objects.get(oid(1)).pages.get(0)), codec + ": stored compressed");
            f.fillRandom(D, 2, 4);
            byte[] random = f.frame(D, 2);
            assertEquals(1, f.put(D, 0, oid(1), 0, 2), codec + ": dup put of a random page");
            f.fillZero(D, 2);
            assertEquals(1, f.get(D, 0, oid(1), 0, 3));
            assertArrayEquals(random, f.frame(D, 3), codec + ": the random page came back (stored raw)");
            f.domain(D).notRam.add(4L);
            assertEquals(-XenErrno.EFAULT, f.put(D, 0, oid(1), 0, 4), codec + ": dup put from a frame that is not RAM");
            assertEquals(0, f.engine.storedPages(), codec + ": the page was flushed");
        }
    }

    private static void roundTripMixedPages(TmemCompression codec, TmemFixture f) {
        assertEquals(0, f.newPool(D, FLAGS_412 | TmemDefs.POOL_PERSIST));
        long base = f.domain(D).totPages();
        for (int i = 0; i < 48; i++) {
            switch (i % 3) {
                case 0 -> f.fillCompressible(D, 10 + i, i);
                case 1 -> f.fillRandom(D, 10 + i, i);
                default -> f.fillZero(D, 10 + i);
            }
            assertEquals(1, f.put(D, 0, oid(i / 16), i % 16, 10 + i), codec + " put " + i);
        }
        TmemClient c = f.engine.client(D);
        assertEquals(32, c.compressedPages, codec + ": text and zero pages compressed, random ones raw");
        assertEquals(16, c.compressPoor, codec + ": random pages compress poorly");
        if (codec == TmemCompression.LZO) assertTrue(c.compressedBytes() > 16 * 8, "LZO charges a zero page its stream");
        long charged = f.domain(D).totPages() - base;
        assertEquals(16 + (c.compressedBytes() + 4095) / 4096, charged, codec + ": raw pages + the arena's pages");
        for (int i = 0; i < 48; i++) {
            assertEquals(1, f.get(D, 0, oid(i / 16), i % 16, 5), codec + " get " + i);
            assertArrayEquals(f.frame(D, 10 + i), f.frame(D, 5), codec + " page " + i);
        }
        for (int o = 0; o < 3; o++) assertEquals(1, f.flushObject(D, 0, oid(o)));
        assertEquals(0, c.compressedBytes());
        assertEquals(0, c.compressedPages);
        assertEquals(0, f.engine.storedPages());
    }
}
