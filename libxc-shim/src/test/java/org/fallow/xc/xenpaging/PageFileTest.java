package org.fallow.xc.xenpaging;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.*;

class PageFileTest {
    @TempDir Path dir;

    private static MemorySegment page(int fill) {
        MemorySegment s = Arena.ofAuto().allocate(4096);
        s.fill((byte) fill);
        return s;
    }

    @Test void slotsAreRawPagesAtSlotTimes4096WithXenpagingSlotChoice() throws Exception {
        Path f = dir.resolve("pf");
        Files.writeString(dir.resolve("old"), "old contents");
        try (PageFile old = PageFile.create(dir.resolve("old"), 4)) {
            assertEquals(0, Files.size(dir.resolve("old")), "O_TRUNC");
        }
        try (PageFile pf = PageFile.create(f, 16)) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
            assertEquals(0, pf.allocateSlot(), "linear scan: first slot with slot_to_gfn 0");
            pf.write(0, 5, page(0x55));
            assertEquals(1, pf.allocateSlot());
            pf.write(1, 9, page(0x99));
            assertEquals(2, pf.allocateSlot());
            pf.write(2, 3, page(0x33));
            byte[] raw = Files.readAllBytes(f);
            assertEquals(3 * 4096, raw.length);
            assertEquals(0x99, raw[4096 + 17] & 0xFF);
            assertEquals(1, pf.gfnToSlot(9));
            assertEquals(9, pf.slotToGfn(1));
            pf.free(1);
            pf.free(0);
            assertEquals(0, pf.allocateSlot(), "LIFO free stack");
            assertEquals(1, pf.allocateSlot());
            MemorySegment back = Arena.ofAuto().allocate(4096);
            pf.read(2, back);
            assertEquals(0x33, back.get(ValueLayout.JAVA_BYTE, 4095));
            pf.unlink();
            assertFalse(Files.exists(f));
            assertFalse(PageFile.leftBehind(f));
        }
    }

    @Test void aKilledPagersSlotsCanBeRecovered() throws Exception {
        Path f = dir.resolve("pf");
        PageFile pf = PageFile.create(f, 32);
        pf.write(pf.allocateSlot(), 7, page(7));
        pf.write(pf.allocateSlot(), 20, page(20));
        int s = pf.allocateSlot();
        pf.write(s, 21, page(21));
        pf.free(s);
        pf.close(); // no unlink: as after SIGKILL
        assertTrue(PageFile.leftBehind(f));
        try (PageFile again = PageFile.recover(f, 32)) {
            long[][] rec = again.recovered();
            assertEquals(2, rec.length);
            assertArrayEquals(new long[] {7, 0}, rec[0]);
            assertArrayEquals(new long[] {20, 1}, rec[1]);
            MemorySegment back = Arena.ofAuto().allocate(4096);
            again.read(again.gfnToSlot(20), back);
            assertEquals(20, back.get(ValueLayout.JAVA_BYTE, 100));
            assertEquals(-1, again.gfnToSlot(21));
            assertEquals(2, again.allocateSlot());
        }
    }
}
