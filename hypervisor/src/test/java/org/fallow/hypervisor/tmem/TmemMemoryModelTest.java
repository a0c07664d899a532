package org.fallow.hypervisor.tmem;

import org.fallow.abi.XenErrno;

import org.junit.jupiter.api.Test;

import static org.fallow.hypervisor.tmem.TmemDefs.*;
import static org.fallow.hypervisor.tmem.TmemFixture.FLAGS_412;
import static org.fallow.hypervisor.tmem.TmemFixture.oid;
import static org.junit.jupiter.api.Assertions.*;

/** Compression, zero pages, host accounting, eviction and the (intended) weighted quota. */
class TmemMemoryModelTest {
    static final int D = 5, E = 6;
    final TmemFixture f = new TmemFixture(4096);

    private void compressOn(int domid) {
        assertEquals(0, f.control.setClientInfo(domid, new TmemControl.ClientInfo(1, 16, 0, CLIENT_FLAG_COMPRESS, 0)));
    }

    @Test void ephemeralPagesComeFromHostAndGoToTmemFreeListWhenFreed() {
        f.newPool(D, FLAGS_412);
        long free0 = f.host.freePages();
        f.fillRandom(D, 1, 1);
        for (int i = 0; i < 10; i++) assertEquals(1, f.put(D, 0, oid(1), i, 1));
        assertEquals(free0 - 10, f.host.freePages());
        assertEquals(10, f.engine.freeablePages());
        for (int i = 0; i < 10; i++) assertEquals(1, f.flushPage(D, 0, oid(1), i));
        assertEquals(10, f.engine.freeListPages(), "freed pages stay on tmem's free list");
        assertEquals(free0 - 10, f.host.freePages());
        assertEquals(0, f.control.queryFreeableMb());
        assertEquals(40, f.control.flushMem(CLI_ID_NULL, 0), "control FLUSH returns the free list to the host (kB)");
        assertEquals(free0, f.host.freePages());
    }

    /**
     * Issue 15 item 1: Xen 4.12 has no zero-page shortcut (the tze/pcd dedup is unused): an all-zero persistent page
     * is a page like any other, counted in tot_pages and refused with -ENOMEM at max_pages; an ephemeral one takes a
     * host page.
     */
    @Test void zeroPageIsChargedLikeAnyPageAndReadsBackAsZeros() {
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        f.newPool(D, FLAGS_412);
        FakeDomainMemory m = f.domain(D);
        f.fillZero(D, 1);
        f.fillRandom(D, 2, 9);
        long tot = m.totPages();
        assertEquals(1, f.put(D, 0, oid(1), 0, 1));
        assertEquals(tot + 1, m.totPages(), "a persistent zero page counts in tot_pages");
        assertEquals(1, f.get(D, 0, oid(1), 0, 2));
        assertArrayEquals(new byte[4096], f.frame(D, 2));
        long free = f.host.freePages();
        assertEquals(1, f.put(D, 1, oid(1), 0, 1));
        assertEquals(free - 1, f.host.freePages(), "an ephemeral zero page takes a host page");
        assertEquals(1, f.engine.freeablePages());
        m.maxPages = m.totPages();
        assertEquals(-XenErrno.ENOMEM, f.put(D, 0, oid(1), 1, 1), "a persistent zero put at tot_pages = max_pages");
        assertEquals(tot + 1, m.totPages());
    }

    /**
     * Issue 15 item 5: a freed persistent page is stolen from the domain (tot_pages - 1) and kept on tmem's free list
     * (__tmem_free_page_thispool), visible as LIST Ta and in QUERY_FREEABLE_MB, until control FLUSH or a host
     * reclaim gives it back; a later persistent put takes it from the free list again.
     */
    @Test void freedPersistentPagesStayOnTmemsFreeList() {
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        FakeDomainMemory m = f.domain(D);
        long free0 = f.host.freePages();
        long tot0 = m.totPages();
        for (int i = 0; i < 300; i++) {
            f.fillRandom(D, 1, i);
            assertEquals(1, f.put(D, 0, oid(1), i, 1));
        }
        assertEquals(tot0 + 300, m.totPages());
        assertEquals(free0 - 300, f.host.freePages());
        for (int i = 0; i < 300; i++) assertEquals(1, f.flushPage(D, 0, oid(1), i));
        assertEquals(tot0, m.totPages(), "stolen from the domain");
        assertEquals(300, f.engine.freeListPages(), "kept on tmem's free list");
        assertEquals(free0 - 300, f.host.freePages(), "not given back to the host");
        assertEquals(1, f.control.queryFreeableMb(), "300 free-list pages >> 8");
        assertTrue(TmemList.text(f.engine, CLI_ID_NULL, false, false, 1 << 16).contains(",Ta:300,"), "LIST Ta");
        f.fillRandom(D, 1, 1);
        assertEquals(1, f.put(D, 0, oid(2), 0, 1));
        assertEquals(299, f.engine.freeListPages(), "a new persistent page is donated from the free list");
        assertEquals(free0 - 300, f.host.freePages());
        assertEquals(299 * 4, f.control.flushMem(CLI_ID_NULL, 0), "control FLUSH gives the free list back (kB)");
        assertEquals(free0 - 1, f.host.freePages());
    }

    @Test void compressiblePageIsStoredAsLzoAndRoundTrips() {
        f.newPool(D, FLAGS_412);
        compressOn(D);
        long free0 = f.host.freePages();
        for (int i = 0; i < 20; i++) {
            f.fillCompressible(D, 1, i);
            assertEquals(1, f.put(D, 0, oid(i), 0, 1));
        }
        TmemClient c = f.engine.client(D);
        assertEquals(20, c.compressedPages);
        assertTrue(c.compressedSumSize > 0 && c.compressedSumSize < 20 * 4096 / 4, "compressed: " + c.compressedSumSize);
        assertTrue(free0 - f.host.freePages() < 20, "compressed pages share arena pages");
        for (int i = 0; i < 20; i++) {
            f.fillCompressible(D, 3, i);
            assertEquals(1, f.get(D, 0, oid(i), 0, 2));
            assertArrayEquals(f.frame(D, 3), f.frame(D, 2), "page " + i);
        }
        assertEquals(0, f.engine.stats.liveCompressedBytes);
        f.control.flushMem(CLI_ID_NULL, 0);
        assertEquals(free0, f.host.freePages(), "the arena gave back every page");
    }

    @Test void incompressiblePageIsStoredRawAndCountedAsCompressPoor() {
        f.newPool(D, FLAGS_412);
        compressOn(D);
        f.fillRandom(D, 1, 3);
        long free0 = f.host.freePages();
        assertEquals(1, f.put(D, 0, oid(1), 0, 1));
        assertEquals(1, f.engine.client(D).compressPoor);
        assertEquals(0, f.engine.client(D).compressedPages);
        assertEquals(free0 - 1, f.host.freePages());
        assertEquals(1, f.get(D, 0, oid(1), 0, 2));
        assertArrayEquals(f.frame(D, 1), f.frame(D, 2));
    }

    @Test void hostMemoryPressureEvictsEphemeralPagesOldestFirst() {
        f.newPool(D, FLAGS_412);
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        for (int i = 0; i < 8; i++) {
            f.fillRandom(D, 1, i);
            assertEquals(1, f.put(D, 0, oid(i), 0, 1));
            assertEquals(1, f.put(D, 1, oid(i), 0, 1));
        }
        long zone = f.host.midsizeZonePages();
        assertTrue(f.host.allocateNoReclaim(f.host.freePages() - zone), "other domains take memory down to the mid-size zone");
        for (int i = 0; i < 3; i++) assertTrue(f.host.allocate(1), "order 0 at the zone: one page from tmem");
        assertEquals(zone, f.host.freePages(), "the zone is kept while tmem has pages to give");
        assertEquals(3, f.engine.stats.evictedPages);
        assertEquals(5, f.engine.ephemeralPages());
        for (int i = 0; i < 3; i++) assertEquals(0, f.get(D, 0, oid(i), 0, 2), "oldest evicted: " + i);
        assertEquals(1, f.get(D, 0, oid(3), 0, 2));
        for (int i = 0; i < 8; i++) assertEquals(1, f.get(D, 1, oid(i), 0, 2), "persistent pages are never evicted");
        for (int i = 0; i < 5; i++) assertTrue(f.host.allocate(1));
        assertEquals(0, f.engine.ephemeralPages(), "every ephemeral page went");
        assertTrue(f.host.allocateNoReclaim(f.host.freePages()));
        assertFalse(f.host.allocate(1), "only ephemeral pages are reclaimable");
        assertEquals(8, f.engine.client(D).persistentPages());
    }

    @Test void overQuotaIsHoldingMoreThanTheWeightedShare() {
        f.newPool(D, FLAGS_412);
        f.newPool(E, FLAGS_412);
        f.control.setClientInfo(D, new TmemControl.ClientInfo(1, 16, 0, 0, 1));
        f.control.setClientInfo(E, new TmemControl.ClientInfo(1, 16, 0, 0, 3));
        f.fillRandom(D, 1, 1);
        f.fillRandom(E, 1, 1);
        for (int i = 0; i < 6; i++) f.put(D, 0, oid(i), 0, 1);
        for (int i = 0; i < 2; i++) f.put(E, 0, oid(i), 0, 1);
        TmemClient d = f.engine.client(D), e = f.engine.client(E);
        // D: weight 1/4 but holds 6/8 pages -> over; E: weight 3/4, holds 2/8 -> under
        assertTrue(f.engine.overQuota(d));
        assertFalse(f.engine.overQuota(e));
    }

    @Test void weightZeroMeansNoQuota() {
        f.newPool(D, FLAGS_412);
        f.fillRandom(D, 1, 1);
        f.put(D, 0, oid(1), 0, 1);
        assertFalse(f.engine.overQuota(f.engine.client(D)));
    }

    @Test void evictionDuringPutPrefersTheOverQuotaCallersOwnPages() {
        f.newPool(E, FLAGS_412);
        f.newPool(D, FLAGS_412);
        f.control.setClientInfo(D, new TmemControl.ClientInfo(1, 16, 0, 0, 1));
        f.control.setClientInfo(E, new TmemControl.ClientInfo(1, 16, 0, 0, 1));
        f.fillRandom(E, 1, 1);
        f.fillRandom(D, 1, 1);
        f.put(E, 0, oid(100), 0, 1); // globally oldest page belongs to E
        for (int i = 0; i < 5; i++) f.put(D, 0, oid(i), 0, 1);
        assertTrue(f.host.allocate(f.host.freePages() - 255));
        assertEquals(1, f.put(D, 0, oid(99), 0, 1));
        assertEquals(1, f.get(E, 0, oid(100), 0, 2), "E's older page survives");
        assertEquals(0, f.get(D, 0, oid(0), 0, 2), "D (over quota) lost its own oldest page");
    }

    @Test void domainDeathFlushesEveryPoolAndFreesItsMemory() {
        FakeDomainMemory m = f.domain(D, 100, 10);
        f.newPool(D, FLAGS_412);
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        f.fillRandom(D, 1, 1);
        for (int i = 0; i < 5; i++) {
            f.put(D, 0, oid(i), 0, 1);
            f.put(D, 1, oid(i), 0, 1);
        }
        assertEquals(15, m.totPages());
        f.engine.destroyClient(D);
        assertNull(f.engine.client(D));
        assertEquals(10, m.totPages());
        assertEquals(0, f.engine.ephemeralPages());
        assertEquals(0, f.engine.stats.storedPages());
        assertEquals(10, f.engine.freeListPages(), "ephemeral pages and the persistent pages stolen from the domain");
    }
}
