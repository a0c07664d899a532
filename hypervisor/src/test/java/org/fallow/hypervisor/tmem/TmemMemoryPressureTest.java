package org.fallow.hypervisor.tmem;

import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.core.HostMemory;
import org.junit.jupiter.api.Test;

import static org.fallow.hypervisor.tmem.TmemDefs.*;
import static org.fallow.hypervisor.tmem.TmemFixture.FLAGS_412;
import static org.fallow.hypervisor.tmem.TmemFixture.oid;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 15 item 4: memory pressure as Xen 4.12's alloc_heap_pages + tmem_relinquish_pages. A host of 65536 pages
 * has a mid-size zone of 512 pages (1/128 of the peak of free memory); at or below it, with tmem holding freeable
 * pages, an order-0 allocation gets one page from tmem (at most 10 evictions per call), an order-9 one fails, and
 * orders 1-8 come from the free pages. Persistent and ephemeral puts allocate through the same path.
 */
class TmemMemoryPressureTest {
    static final int D = 5;
    final TmemFixture f = new TmemFixture(65536);

    /** 300 ephemeral raw pages in oids 1..300 (one page each), then host memory taken down to {@code free} pages. */
    private void ephemeralThenLow(long free) {
        f.newPool(D, FLAGS_412);
        for (int i = 1; i <= 300; i++) {
            f.fillRandom(D, 1, i);
            assertEquals(1, f.put(D, 0, oid(i), 0, 1));
        }
        assertTrue(f.host.allocateNoReclaim(f.host.freePages() - free), "other domains take memory down to " + free);
        assertEquals(free, f.host.freePages());
    }

    @Test void theMidsizeZoneIsOneHundredTwentyEighthOfThePeak() {
        assertEquals(512, f.host.midsizeZonePages());
        HostMemory h = new HostMemory(1000);
        assertEquals(7, h.midsizeZonePages());
        assertTrue(h.allocate(487)); // not a power of two: a bulk allocation
        h.free(487);
        assertEquals(7, h.midsizeZonePages(), "the peak of free memory has not grown");
    }

    @Test void lowOnMemoryAnOrderZeroAllocationTakesOnePageFromTmem() {
        ephemeralThenLow(400);
        long eph = f.engine.ephemeralPages();
        assertTrue(f.host.allocate(1), "order 0 at free 400 <= 512");
        assertEquals(400, f.host.freePages(), "the page came from tmem, not from the free pages");
        assertEquals(eph - 1, f.engine.ephemeralPages(), "one eviction");
        assertEquals(1, f.engine.stats.relinqPages);
        assertEquals(1, f.engine.stats.relinqAttempts);
        assertNotNull(f.engine.client(D).pool(0).objects.get(oid(300)), "the oldest went first");
        assertNull(f.engine.client(D).pool(0).objects.get(oid(1)));
    }

    @Test void lowOnMemoryOrderNineFailsWhileTmemHoldsPagesAndMidSizeOrdersUseFreePages() {
        ephemeralThenLow(512);
        assertFalse(f.host.allocate(512), "order 9 fails although 512 pages are free: tmem_relinquish_pages(order 9)");
        assertEquals(512, f.host.freePages());
        assertTrue(f.host.allocate(256), "order 8 comes from the free pages");
        assertEquals(256, f.host.freePages());
        for (int i = 1; i <= 300; i++) assertEquals(1, f.flushPage(D, 0, oid(i), 0));
        f.control.flushMem(CLI_ID_NULL, 0); // the free list back to the host: nothing freeable left
        assertEquals(0, f.engine.freeablePages());
        assertTrue(f.host.allocate(512), "order 9 with tmem empty and 556 pages free");
    }

    /** LZ4 (its 30-byte text pages; the word coder's have 256 bytes of tags), so that 200 share few arena pages. */
    @Test void oneRelinquishEvictsAtMostTenPages() {
        TmemFixture f = new TmemFixture(65536, new TmemEngine.Config(true, false, () -> 0, TmemCompression.LZ4));
        f.newPool(D, FLAGS_412);
        assertEquals(0, f.control.setClientInfo(D, new TmemControl.ClientInfo(1, 16, 0, CLIENT_FLAG_COMPRESS, 0)));
        for (int i = 1; i <= 200; i++) {
            f.fillCompressible(D, 1, i);
            assertEquals(1, f.put(D, 0, oid(i), 0, 1));
        }
        long arenaPages = f.engine.freeablePages();
        assertTrue(arenaPages > 0 && arenaPages < 20, "compressed pages share arena pages: " + arenaPages);
        assertTrue(f.host.allocateNoReclaim(f.host.freePages() - 300));
        long evicted0 = f.engine.stats.evictedPages;
        assertFalse(f.host.allocate(1), "10 evictions of small compressed pages free no whole page");
        assertEquals(10, f.engine.stats.evictedPages - evicted0);
        assertEquals(10, f.engine.stats.maxEvictsPerRelinq);
        assertEquals(300, f.host.freePages());
    }

    @Test void persistentPutsEvictEphemeralPagesWhenLow() {
        ephemeralThenLow(300);
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        FakeDomainMemory m = f.domain(D);
        long tot = m.totPages();
        f.fillRandom(D, 2, 99);
        assertEquals(1, f.put(D, 1, oid(1), 0, 2), "the persistent page is taken from tmem's ephemeral memory");
        assertEquals(tot + 1, m.totPages());
        assertEquals(299, f.engine.ephemeralPages());
        assertEquals(300, f.host.freePages());
        f.fillRandom(D, 2, 98);
        assertEquals(1, f.put(D, 0, oid(1000), 0, 2), "an ephemeral put recycles an ephemeral page");
        assertEquals(299, f.engine.ephemeralPages());
        assertEquals(300, f.host.freePages());
    }

    @Test void aPutNeverEvictsThePagesOfItsOwnObject() {
        f.newPool(D, FLAGS_412);
        for (int i = 0; i < 300; i++) {
            f.fillRandom(D, 1, i);
            assertEquals(1, f.put(D, 0, oid(7), i, 1));
        }
        assertTrue(f.host.allocateNoReclaim(f.host.freePages() - 300));
        assertEquals(-XenErrno.ENOMEM, f.put(D, 0, oid(7), 300, 1), "the only evictable pages are the object's own");
        assertEquals(300, f.engine.client(D).pool(0).objects.get(oid(7)).pages.size(), "object intact");
        assertEquals(1, f.put(D, 0, oid(8), 0, 1), "another object's put may evict them");
        assertEquals(299, f.engine.client(D).pool(0).objects.get(oid(7)).pages.size());
    }
}
