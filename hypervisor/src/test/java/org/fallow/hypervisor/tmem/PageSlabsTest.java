package org.fallow.hypervisor.tmem;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** The off-heap slab allocator: slots per class, free-list reuse, data isolation, compressed-slot headers. */
class PageSlabsTest {
    @Test void rawSlotsArePageAlignedDistinctAndReusedAfterFree() {
        PageSlabs s = new PageSlabs();
        Set<Long> addresses = new HashSet<>();
        int[] locs = new int[600]; // more than two slabs of 256
        for (int i = 0; i < locs.length; i++) {
            locs[i] = s.allocate(PageSlabs.RAW);
            assertTrue(PageSlabs.isRaw(locs[i]));
            long addr = s.segment(locs[i]).address() + s.offset(locs[i]);
            assertEquals(0, addr % TmemDefs.PAGE_SIZE, "raw slots are page-aligned");
            assertTrue(addresses.add(addr), "distinct slot " + i);
            s.segment(locs[i]).set(ValueLayout.JAVA_INT, s.offset(locs[i]) + 4092, i); // last word of the page
        }
        assertEquals(600, s.liveSlots(PageSlabs.RAW));
        assertEquals(3L * 256 * TmemDefs.PAGE_SIZE, s.slabBytes(), "three 1 MiB slabs");
        for (int i = 0; i < locs.length; i++)
            assertEquals(i, s.segment(locs[i]).get(ValueLayout.JAVA_INT, s.offset(locs[i]) + 4092), "page " + i + " intact");
        s.free(locs[7]);
        s.free(locs[300]);
        assertEquals(598, s.liveSlots(PageSlabs.RAW));
        assertEquals(locs[300], s.allocate(PageSlabs.RAW), "last freed is reused first");
        assertEquals(locs[7], s.allocate(PageSlabs.RAW));
        assertEquals(3L * 256 * TmemDefs.PAGE_SIZE, s.slabBytes(), "reuse takes no new slab");
        assertEquals(locs[599] + 1, s.allocate(PageSlabs.RAW), "then the bump pointer");
    }

    @Test void freeOfAnUnallocatedSlotIsRefused() {
        PageSlabs s = new PageSlabs();
        int a = s.allocate(3);
        assertThrows(IllegalStateException.class, () -> s.free(a + 1));
        s.free(a);
        assertThrows(IllegalStateException.class, () -> s.free(a), "double free leaves live at 0");
    }

    @Test void compressedSlotsRoundTripTheirLengthAndSameFilledFlag() {
        PageSlabs s = new PageSlabs();
        for (int n : new int[] {0, 1, 62, 63, 1000, 4063}) {
            int cls = PageSlabs.classFor(n);
            assertTrue(PageSlabs.slotSize(cls) >= n + PageSlabs.HEADER, "class " + cls + " holds " + n);
            assertTrue(cls == 1 || PageSlabs.slotSize(cls - 1) < n + PageSlabs.HEADER, "smallest class for " + n);
            byte[] data = new byte[n];
            for (int i = 0; i < n; i++) data[i] = (byte) (i * 31 + n);
            int loc = s.allocate(cls);
            assertFalse(PageSlabs.isRaw(loc));
            s.writeCompressed(loc, MemorySegment.ofArray(data), n, n == 1 ? PageSlabs.SAME_FILLED : 0);
            byte[] back = new byte[4096];
            assertEquals(n, s.readCompressed(loc, back));
            assertArrayEquals(data, java.util.Arrays.copyOf(back, n));
            assertEquals(n == 1, (s.header(loc) & PageSlabs.SAME_FILLED) != 0);
        }
        assertThrows(IllegalArgumentException.class, () -> PageSlabs.classFor(4095));
    }

    @Test void neighbouringCompressedSlotsDoNotOverlap() {
        PageSlabs s = new PageSlabs();
        int cls = PageSlabs.classFor(100); // 128-byte slots
        int a = s.allocate(cls), b = s.allocate(cls);
        byte[] ones = new byte[126], twos = new byte[126];
        java.util.Arrays.fill(ones, (byte) 1);
        java.util.Arrays.fill(twos, (byte) 2);
        s.writeCompressed(a, MemorySegment.ofArray(ones), 126, 0);
        s.writeCompressed(b, MemorySegment.ofArray(twos), 126, 0);
        byte[] back = new byte[126];
        s.readCompressed(a, back);
        assertArrayEquals(ones, back);
        MemorySegment seg = s.segment(b);
        assertEquals(s.offset(a) + 128, s.offset(b), "adjacent slots of one slab");
        assertSame(seg, s.segment(a));
    }
}
