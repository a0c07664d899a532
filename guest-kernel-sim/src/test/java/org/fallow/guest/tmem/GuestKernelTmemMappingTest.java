package org.fallow.guest.tmem;

import org.fallow.guest.hv.SegmentPhysMem;
import org.fallow.guest.mm.FileSystem;
import org.fallow.guest.mm.GuestKernel;
import org.fallow.guest.mm.SimFile;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When the kernel calls cleancache and frontswap, and with which keys (Linux mm/cleancache.c; Linux mm/frontswap.c; Linux mm/cleancache.c and mm/frontswap.c). */
class GuestKernelTmemMappingTest {
    private final RecordingTmemOps t = new RecordingTmemOps();
    private final XenTmemDriver driver = new XenTmemDriver(t);
    private final GuestKernel k = new GuestKernel(SegmentPhysMem.allocate(Arena.ofAuto(), 256), 16);

    @Test void evictionPutsGetOnMissTruncateInvalidatesUmountDestroys() {
        k.attachCleancache(new Cleancache(driver.cleancacheOps()));
        FileSystem fs = k.mount("ext4");
        SimFile big = k.createFile(fs, 400); // more than the 240 frames the page cache can have
        for (int i = 0; i < 400; i++) k.readPage(big, i);
        assertTrue(t.calls.contains(String.format("PUT 0 {%x,0,0} 0", big.ino())), "the first page read was evicted into cleancache");
        assertTrue(k.cleancache().puts() >= 400 - 240);
        t.calls.clear();
        long failedBefore = k.cleancache().failedGets();
        assertEquals(400, failedBefore, "every first read asked cleancache before the disk");
        k.readPage(big, 0); // miss: get before the disk read
        assertEquals(String.format("GET 0 {%x,0,0} 0", big.ino()), t.calls.stream().filter(c -> c.startsWith("GET")).findFirst().orElseThrow());
        assertEquals(failedBefore + 1, k.cleancache().failedGets());
        t.calls.clear();
        k.writePage(big, 1); // overwrite of an evicted page: its cleancache copy is stale
        assertTrue(t.calls.contains(String.format("FLUSH_PAGE 0 {%x,0,0} 1", big.ino())));
        t.calls.clear();
        k.truncate(big, 0);
        assertTrue(t.calls.contains(String.format("FLUSH_OBJECT 0 {%x,0,0}", big.ino())));
        assertTrue(t.calls.stream().noneMatch(c -> c.startsWith("PUT")), "truncated pages are invalidated, never put");
        k.umount(fs);
        assertEquals("DESTROY_POOL 0", t.calls.getLast());
        assertEquals(0, k.stats().dataErrors);
    }

    @Test void sharedFsUsesItsUuid() {
        k.attachCleancache(new Cleancache(driver.cleancacheOps()));
        FileSystem fs = k.mount("ocfs2", true, 0xAB, 0xCD);
        assertEquals("NEW_POOL uuid=ab,cd flags=01000002", t.calls.getFirst());
        assertEquals(0, fs.poolId());
    }

    @Test void failedFrontswapStoresFallBackToTheSwapDevice() {
        k.swapon(1024, new Frontswap(driver.frontswapOps()));
        var p = k.spawn();
        k.resize(p, 600); // far more than RAM
        for (int v = 0; v < 600; v++) k.touch(p, v, true);
        for (int v = 0; v < 600; v++) k.touch(p, v, false); // everything comes back intact
        assertTrue(k.frontswap().failedStores() > 0);
        assertEquals(0, k.frontswap().succStores());
        assertEquals(k.frontswap().failedStores(), k.swapDevice().pagesWritten());
        assertTrue(k.stats().swapDiskReads > 0);
        assertEquals(0, k.stats().dataErrors);
        assertEquals(0, k.stats().oomKills);
        assertTrue(t.calls.getFirst().equals("NEW_POOL uuid=0,0 flags=01000001"));
        // process exit frees every slot
        k.exit(p);
        assertEquals(0, k.swapDevice().usedSlots());
    }
}
