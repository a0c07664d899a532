package org.fallow.hypervisor.tmem;

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

    private static TmemFixture fixture(TmemCompression codec) {
        TmemFixture f = new TmemFixture(4096, new TmemEngine.Config(true, true, () -> 0, codec));
        f.domain(D);
        return f;
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
        for (TmemCompression codec : TmemCompression.values()) {
            TmemFixture f = fixture(codec);
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
}
