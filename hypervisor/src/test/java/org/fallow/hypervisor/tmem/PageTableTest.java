package org.fallow.hypervisor.tmem;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The page table's columns: handle allocation and reuse, packed fields, and its metadata bound. */
class PageTableTest {
    @Test void fieldsRoundTripIncludingExtremeValues() {
        PageTable t = new PageTable();
        int a = t.allocate(0x7FFF_FFFF, Integer.MIN_VALUE, 64 << 24 | 0xFFFFFF);
        int b = t.allocate(0x1_0001, -1, 0);
        assertEquals(0x7FFF_FFFF, t.objectId(a));
        assertEquals(Integer.MIN_VALUE, t.index(a));
        assertEquals(64 << 24 | 0xFFFFFF, t.loc(a));
        assertEquals(0x1_0001, t.objectId(b));
        assertEquals(-1, t.index(b));
        t.setGPrev(a, PageTable.MAX_PAGES);
        t.setGNext(a, 5);
        t.setCPrev(a, 6);
        t.setCNext(a, PageTable.MAX_PAGES);
        assertEquals(PageTable.MAX_PAGES, t.gPrev(a));
        assertEquals(5, t.gNext(a));
        assertEquals(6, t.cPrev(a));
        assertEquals(PageTable.MAX_PAGES, t.cNext(a));
        assertEquals(0x7FFF_FFFF, t.objectId(a), "links leave the object id alone");
        t.setGPrev(a, PageTable.NIL);
        t.setCNext(a, PageTable.NIL);
        assertEquals(5, t.gNext(a));
        assertEquals(6, t.cPrev(a));
    }

    @Test void freedHandlesAreReusedAndNoLongerLive() {
        PageTable t = new PageTable();
        int a = t.allocate(1, 10, 0), b = t.allocate(1, 11, 0), c = t.allocate(1, 12, 0);
        assertNotEquals(PageTable.NIL, a);
        assertEquals(3, t.size());
        t.free(b);
        assertFalse(t.isLive(b));
        assertTrue(t.isLive(a) && t.isLive(c));
        assertThrows(IllegalStateException.class, () -> t.free(b), "double free");
        assertEquals(b, t.allocate(2, 20, 0), "freed handle reused");
        assertEquals(2, t.objectId(b));
        assertEquals(c + 1, t.allocate(2, 21, 0), "then fresh handles");
        assertFalse(t.isLive(PageTable.NIL));
    }

    /** Issue 16's bound, counted from the arrays: <= 32 B of metadata per stored page at 1 M pages, 16 per object. */
    @Test void metadataOfAMillionPagesIsAtMost32BytesPerPage() {
        PageTable t = new PageTable();
        int n = 1 << 20, perObject = 16;
        long mapBytes = 0;
        for (int o = 0; o < n / perObject; o++) {
            PageIndexMap m = new PageIndexMap(t);
            for (int i = 0; i < perObject; i++) assertEquals(PageTable.NIL, m.put(t.allocate(o, i * 7, 0)));
            mapBytes += 16 + 4L * m.capacity();
            assertEquals(perObject, m.size());
        }
        assertEquals(n, t.size());
        double perPage = (t.metadataBytes() + mapBytes) / (double) n;
        assertTrue(perPage <= 32.0, "metadata " + perPage + " B/page");
        assertTrue(t.metadataBytes() >= (long) n * PageTable.BYTES_PER_PAGE, "the columns are counted");
    }
}
