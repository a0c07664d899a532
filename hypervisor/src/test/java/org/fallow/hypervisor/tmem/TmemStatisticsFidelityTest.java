package org.fallow.hypervisor.tmem;

import org.fallow.abi.XenErrno;
import org.junit.jupiter.api.Test;

import static org.fallow.hypervisor.tmem.TmemDefs.*;
import static org.fallow.hypervisor.tmem.TmemFixture.FLAGS_412;
import static org.fallow.hypervisor.tmem.TmemFixture.oid;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 15 item 8: the LIST statistics as Xen 4.12's tmem.c keeps them: a duplicate put compresses only when the old
 * copy was compressed; gets are credited to the pool's owner; {@code Lm} is never incremented; {@code Fc}
 * (global_page_count) counts raw pages from tmem_alloc_page only, not the pages holding compressed data; and a new
 * uncompressed put allocates before it copies (-ENOMEM before -EFAULT).
 */
class TmemStatisticsFidelityTest {
    static final int D = 5, E = 6;
    final TmemFixture f = new TmemFixture(4096);

    private void compress(int domid, boolean on) {
        assertEquals(0, f.control.setClientInfo(domid, new TmemControl.ClientInfo(1, 16, 0, on ? CLIENT_FLAG_COMPRESS : 0, 0)));
    }

    /** What the assertions read of a stored page (pages are int handles into the engine's page table). */
    private static final class PageView {
        final boolean compressed;

        PageView(boolean compressed) { this.compressed = compressed; }
    }

    private PageView page(int domid, int pool, long o, int index) {
        int h = f.engine.client(domid).pool(pool).objects.get(oid(o)).pages.get(index);
        assertNotEquals(PageTable.NIL, h, "page stored");
        return new PageView(f.engine.compressed(h));
    }

    @Test void dupPutCompressesOnlyWhenTheOldCopyWasCompressed() {
        f.newPool(D, FLAGS_412);
        f.fillCompressible(D, 1, 3);
        assertEquals(1, f.put(D, 0, oid(1), 0, 1), "stored raw: compression is off");
        assertFalse(page(D, 0, 1, 0).compressed);
        compress(D, true);
        assertEquals(1, f.put(D, 0, oid(1), 0, 1), "dup put");
        assertFalse(page(D, 0, 1, 0).compressed, "the old copy was raw: do_tmem_dup_put copies uncompressed");
        assertEquals(0, f.engine.client(D).compressPoor, "not counted on the dup path");
        assertEquals(1, f.put(D, 0, oid(2), 0, 1), "a new put");
        assertTrue(page(D, 0, 2, 0).compressed, "a new put compresses");
        assertEquals(1, f.put(D, 0, oid(2), 0, 1), "dup put of a compressed copy");
        assertTrue(page(D, 0, 2, 0).compressed, "recompressed");
        assertEquals(1, f.engine.client(D).compressedPages, "cp: one compressed page now stored");
        f.fillRandom(D, 2, 7);
        assertEquals(1, f.put(D, 0, oid(2), 0, 2), "dup put of incompressible data");
        assertFalse(page(D, 0, 2, 0).compressed, "poor compression falls back to a raw page");
        assertEquals(0, f.engine.client(D).compressedPages);
        assertEquals(0, f.engine.client(D).compressedSumSize);
        assertEquals(0, f.engine.client(D).compressPoor, "compress_poor counts new puts only");
    }

    @Test void getsAreCreditedToThePoolOwner() {
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        f.fillRandom(D, 1, 1);
        assertEquals(1, f.put(D, 0, oid(1), 0, 1));
        assertEquals(1, f.get(D, 0, oid(1), 0, 2));
        assertEquals(1, f.engine.client(D).succPersGets);
        f.newPool(D, FLAGS_412);
        f.newPool(E, FLAGS_412);
        f.control.sharedPoolAuth(D, 7, 8, true);
        f.control.sharedPoolAuth(E, 7, 8, true);
        assertEquals(2, f.newPool(D, FLAGS_412 | POOL_SHARED, 7, 8));
        assertEquals(1, f.newPool(E, FLAGS_412 | POOL_SHARED, 7, 8));
        assertEquals(1, f.put(D, 2, oid(3), 0, 1));
        assertEquals(1, f.get(E, 1, oid(3), 0, 2), "E gets from D's shared pool");
        assertEquals(1, f.engine.client(D).succEphGets, "Ge of the owner");
        assertEquals(0, f.engine.client(E).succEphGets, "not of the caller");
    }

    @Test void lowOnMemoryIsNeverCounted() {
        f.newPool(D, FLAGS_412);
        f.fillRandom(D, 1, 1);
        assertTrue(f.host.allocate(f.host.freePages() - 10));
        assertEquals(-XenErrno.ENOMEM, f.put(D, 0, oid(1), 0, 1));
        assertEquals(0, f.engine.stats.lowOnMemory);
        assertTrue(TmemList.text(f.engine, CLI_ID_NULL, false, false, 1 << 16).contains(",Lm:0,"), "G= line Lm:0");
    }

    @Test void fcCountsRawPagesOnlyNotCompressedDataPages() {
        f.newPool(D, FLAGS_412);
        compress(D, true);
        for (int i = 0; i < 8; i++) {
            f.fillCompressible(D, 1, i);
            assertEquals(1, f.put(D, 0, oid(1), i, 1));
        }
        assertTrue(f.engine.freeablePages() >= 1, "compressed data occupies host pages");
        assertEquals(0, f.engine.stats.pageCount, "Fc: no raw page (tmem_alloc_page) in use");
        compress(D, false);
        f.fillRandom(D, 2, 3);
        assertEquals(1, f.put(D, 0, oid(2), 0, 2));
        assertEquals(1, f.engine.stats.pageCount, "Fc: one raw page");
        assertEquals(1, f.engine.stats.pageCountMax);
        assertEquals(1, f.flushPage(D, 0, oid(2), 0));
        assertEquals(0, f.engine.stats.pageCount);
    }

    @Test void uncompressedNewPutAllocatesBeforeItCopies() {
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        FakeDomainMemory m = f.domain(D);
        m.maxPages = m.totPages();
        assertEquals(-XenErrno.ENOMEM, f.put(D, 0, oid(1), 0, 1L << 40), "no page and a bad cmfn: -ENOMEM first");
        m.maxPages = m.totPages() + 1;
        assertEquals(-XenErrno.EFAULT, f.put(D, 0, oid(1), 0, 1L << 40), "a page and a bad cmfn: -EFAULT");
        assertEquals(m.maxPages - 1, m.totPages(), "the page went back");
        compress(D, true);
        m.maxPages = m.totPages();
        assertEquals(-XenErrno.EFAULT, f.put(D, 0, oid(1), 0, 1L << 40), "with compression the copy comes first");
    }
}
