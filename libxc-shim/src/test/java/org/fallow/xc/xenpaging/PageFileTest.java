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

    /**
     * The slot choice is xenpaging's (pop the free stack, else the first slot with slot_to_gfn 0 that is not on the
     * stack) through any mix of page-outs and page-ins, the file full, and after a recovery: a model that scans from
     * slot 0 every time picks the same slots.
     */
    @Test void slotChoiceMatchesTheScanFromSlotZero() throws Exception {
        int n = 64;
        java.util.SplittableRandom r = new java.util.SplittableRandom(42);
        Path f = dir.resolve("pf");
        PageFile pf = PageFile.create(f, n);
        long[] modelGfn = new long[n];
        java.util.ArrayDeque<Integer> modelStack = new java.util.ArrayDeque<>();
        long nextGfn = 1;
        MemorySegment p = page(1);
        for (int step = 0; step < 2000; step++) {
            if (step == 1000) { // a killed pager's files, recovered, its stale slots freed again
                pf.close();
                pf = PageFile.recover(f, n);
                modelStack.clear();
                for (int s = 0; s < n; s++)
                    if (modelGfn[s] != 0 && r.nextInt(4) == 0) {
                        pf.free(s);
                        modelGfn[s] = 0;
                        modelStack.push(s);
                    }
            }
            boolean out = r.nextInt(3) != 0;
            long gfn = nextGfn++ % (n - 1) + 1;
            if (out && pf.gfnToSlot(gfn) < 0) { // a victim is a gfn that is not out already, as the pager's policy picks
                Integer top = modelStack.poll();
                int expected = -1;
                if (top != null) expected = top;
                else for (int s = 0; s < n; s++) if (modelGfn[s] == 0 && !modelStack.contains(s)) { expected = s; break; }
                int got = pf.allocateSlot();
                assertEquals(expected, got, "step " + step);
                if (got < 0) continue;
                pf.write(got, gfn, p); // every slot handed out is written (or the pager exits on the I/O error)
                modelGfn[got] = gfn;
            } else if (!out) {
                int s = r.nextInt(n);
                if (modelGfn[s] == 0) continue;
                pf.free(s);
                modelGfn[s] = 0;
                modelStack.push(s);
            }
        }
        pf.close();
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
