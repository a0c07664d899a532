package org.fallow.guest.tmem;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** drivers/xen/tmem.c's mapping of cleancache and frontswap ops onto tmem commands (Linux drivers/xen/tmem.c). */
class XenTmemDriverTest {
    @Test void cleancacheMapping() {
        RecordingTmemOps t = new RecordingTmemOps();
        XenTmemDriver d = new XenTmemDriver(t);
        CleancacheOps cc = d.cleancacheOps();
        int pool = cc.initFs(4096);
        int shared = cc.initSharedFs(0x0706050403020100L, 0x0F0E0D0C0B0A0908L, 4096);
        cc.putPage(pool, FileKey.ofInode(42), 7, 100);
        cc.getPage(pool, FileKey.ofInode(42), 7, 100);
        cc.invalidatePage(pool, FileKey.ofInode(42), 7);
        cc.invalidateInode(pool, FileKey.ofInode(42));
        cc.invalidateFs(pool);
        cc.putPage(shared, FileKey.ofInode(9), 0x1_0000_0000L, 5); // index beyond u32: skipped
        cc.putPage(-1, FileKey.ofInode(9), 1, 5);                  // no pool: skipped
        assertEquals(List.of(
                "NEW_POOL uuid=0,0 flags=01000000",
                "NEW_POOL uuid=706050403020100,f0e0d0c0b0a0908 flags=01000002",
                "PUT 0 {2a,0,0} 7", "GET 0 {2a,0,0} 7", "FLUSH_PAGE 0 {2a,0,0} 7", "FLUSH_OBJECT 0 {2a,0,0}",
                "DESTROY_POOL 0"), t.calls);
        assertEquals(2, d.stats().skipped);
    }

    @Test void frontswapMappingWithSwizzle() {
        RecordingTmemOps t = new RecordingTmemOps();
        XenTmemDriver d = new XenTmemDriver(t);
        FrontswapOps fs = d.frontswapOps();
        fs.init(0);
        fs.init(1); // one pool for all types
        assertEquals(-1, fs.store(1, 0x12345, 10)); // put answered -ENOMEM: failure
        assertEquals(-1, fs.load(1, 0x12345, 10));
        fs.invalidatePage(1, 0x12345);
        t.calls.clear();
        fs.invalidateArea(1);
        assertEquals(16, t.calls.size());
        for (int i = 0; i < 16; i++) assertEquals(String.format("FLUSH_OBJECT 0 {%x,0,0}", (1 << 4) | (15 - i)), t.calls.get(i));
        assertEquals(0, d.frontswapPool());
    }

    @Test void frontswapStoreSucceedsOnlyOnOne() {
        RecordingTmemOps t = new RecordingTmemOps();
        XenTmemDriver d = new XenTmemDriver(t);
        d.frontswapOps().init(0);
        t.putResult = 1;
        assertEquals(0, d.frontswapOps().store(0, 3, 10));
        assertEquals("PUT 0 {3,0,0} 0", t.calls.getLast());
        t.putResult = 0;
        assertEquals(-1, d.frontswapOps().store(0, 3, 10));
        assertEquals(2, d.stats().puts);
        assertEquals(1, d.stats().putSucceeded);
        assertEquals("NEW_POOL uuid=0,0 flags=01000001", t.calls.getFirst());
    }

    @Test void frontswapFrontendCountsAndDropsFailedDuplicates() {
        RecordingTmemOps t = new RecordingTmemOps();
        XenTmemDriver d = new XenTmemDriver(t);
        Frontswap f = new Frontswap(d.frontswapOps());
        f.init(0);
        t.putResult = 1;
        f.store(0, 5, 1);
        f.store(0, 6, 2);
        f.store(0, 5, 1); // duplicate, succeeds: still 2 pages
        assertEquals(2, f.currPages());
        t.putResult = -28; // -ENOSPC: failed duplicate, Xen discarded the old copy
        assertFalse(f.store(0, 5, 1));
        assertFalse(f.test(0, 5));
        assertEquals(1, f.currPages());
        assertEquals(3, f.succStores());
        assertEquals(1, f.failedStores());
        f.invalidatePage(0, 6);
        f.invalidatePage(0, 6); // not in frontswap any more: no backend call, not counted
        assertEquals(1, f.invalidates());
        assertEquals(0, f.currPages());
        assertEquals(1, d.stats().putEnospc);
    }
}
