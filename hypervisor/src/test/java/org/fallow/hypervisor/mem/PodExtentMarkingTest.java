package org.fallow.hypervisor.mem;

import org.fallow.abi.wire.P2mHeader;
import org.fallow.abi.wire.P2mPodExtent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.fallow.abi.xen.MemoryOpConstants.XENMEMF_populate_on_demand;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_decrease_reservation;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_populate_physmap;
import static org.junit.jupiter.api.Assertions.*;

/** PoD marking as extents of the shared view (PROTOCOL §3.3): what it counts, what it writes, and its fallback. */
@Timeout(120)
class PodExtentMarkingTest {
    @TempDir Path dir;
    MemBed bed;

    @BeforeEach void up() { bed = new MemBed(dir, 16384); }

    @AfterEach void down() { bed.close(); }

    private long markPod(int d, long[] gfns, int order) {
        return bed.reservation(XENMEM_populate_physmap, d, gfns, order, XENMEMF_populate_on_demand);
    }

    @Test void sixtyFourGibOfPodIsOneExtentAndNoEntries() throws Exception {
        long frames = DomainPhysmap.MAX_FRAMES;
        int d = bed.createDomain(frames);
        DomainPhysmap pm = bed.pm(d);
        long[] gigs = new long[(int) (frames >> 18) - 1];
        for (int i = 0; i < gigs.length; i++) gigs[i] = (long) (i + 1) << 18;
        assertEquals(gigs.length, markPod(d, gigs, 18), "every 1 GiB extent marked");
        assertEquals(frames - (1L << 18), pm.pod().entryCount());
        assertEquals(P2mType.INVALID, pm.p2m().type((1L << 18) - 1));
        assertEquals(P2mType.POPULATE_ON_DEMAND, pm.p2m().type(1L << 18));
        assertEquals(P2mType.POPULATE_ON_DEMAND, pm.p2m().type(frames - 1));
        assertEquals(frames - 1, pm.maxMappedPfn());
        P2mHeader h = new P2mHeader().wrap(pm.p2m().segment(), 0);
        assertEquals(1, h.nrPodExtents(), "consecutive extents raise one extent's end");
        P2mPodExtent e = h.podExtent(0, new P2mPodExtent());
        assertEquals(1L << 18, e.firstGfn());
        assertEquals(frames, e.endGfn());
        assertEquals(P2mType.POPULATE_ON_DEMAND, P2mHeader.typeAt(pm.p2m().segment(), frames / 2), "a reader decodes it too");
        assertEquals(0, pm.pod().stats().markedPerGfn);
        assertTrue(pm.file().allocatedBytes() < (1 << 20), "the memory file stays a hole");
        long p2mStored = Libc.allocatedBlocks(pm.p2m().path()) * 512;
        assertTrue(p2mStored <= 64 * 1024, "the 64 MiB p2m file holds " + p2mStored + " bytes, not one entry per gfn");
    }

    @Test void overlapsCountOnlyNewPodEntriesAndRamIsBusy() {
        int d = bed.createDomain(4096);
        DomainPhysmap pm = bed.pm(d);
        assertEquals(1, markPod(d, new long[] {0}, 9));
        assertEquals(512, pm.pod().entryCount());
        assertEquals(1, markPod(d, new long[] {0}, 10), "[0, 1024) over [0, 512)");
        assertEquals(1024, pm.pod().entryCount(), "only the 512 new gfns are counted");
        assertEquals(1, bed.reservation(XENMEM_decrease_reservation, d, new long[] {5}, 0, 0), "balloon out a PoD gfn");
        assertEquals(P2mType.INVALID, pm.p2m().type(5), "an explicit invalid wins over the extent");
        assertEquals(1023, pm.pod().entryCount());
        assertEquals(1, markPod(d, new long[] {0}, 9));
        assertEquals(P2mType.POPULATE_ON_DEMAND, pm.p2m().type(5));
        assertEquals(1024, pm.pod().entryCount(), "re-marking counts the one gfn that was not PoD");
        assertEquals(1, bed.reservation(XENMEM_populate_physmap, d, new long[] {2000}, 0, 0), "gfn 2000 RAM");
        assertEquals(0, markPod(d, new long[] {1024}, 10), "a range holding RAM is -EBUSY: 0 extents");
        assertEquals(P2mType.INVALID, pm.p2m().type(1024), "nothing of it was marked");
        assertEquals(P2mType.RAM_RW, pm.p2m().type(2000));
        assertEquals(1024, pm.pod().entryCount());
    }

    @Test void aFullExtentTableFallsBackToEntries() {
        int d = bed.createDomain(4096);
        DomainPhysmap pm = bed.pm(d);
        int n = P2mHeader.POD_EXTENTS_MAX + 20;
        long[] everyOther = new long[n];
        for (int i = 0; i < n; i++) everyOther[i] = 2L * i;
        assertEquals(n, markPod(d, everyOther, 0));
        assertEquals(n, pm.pod().entryCount());
        assertEquals(P2mHeader.POD_EXTENTS_MAX, pm.p2m().podExtentCount());
        assertEquals(20, pm.pod().stats().markedPerGfn, "the last 20 were written entry by entry");
        for (int i = 0; i < n; i++) {
            assertEquals(P2mType.POPULATE_ON_DEMAND, pm.p2m().type(2L * i), "gfn " + 2 * i);
            assertEquals(P2mType.INVALID, pm.p2m().type(2L * i + 1), "gfn " + (2 * i + 1));
        }
        assertEquals(P2mType.POPULATE_ON_DEMAND, P2mHeader.typeAt(pm.p2m().segment(), 2L * (n - 1)));
        long[] gaps = new long[n - 1];
        for (int i = 0; i < n - 1; i++) gaps[i] = 2L * i + 1;
        assertEquals(n - 1, markPod(d, gaps, 0), "the gaps too");
        assertEquals(2L * n - 1, pm.pod().entryCount());
    }
}
