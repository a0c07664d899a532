package org.fallow.hypervisor.mem;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.fallow.hypervisor.mem.MemBed.range;
import static org.fallow.abi.xen.MemoryOpConstants.*;
import static org.fallow.hypervisor.mem.MemConstants.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Reservation ops and set_pod_target forced to yield every few units of work (Preemption.yieldEvery) end exactly
 * where an uninterrupted call ends: the continuations resume at the right extent / cache size.
 */
@Timeout(60)
class ReservationContinuationTest {
    @TempDir Path dir;
    MemBed bed;

    @BeforeEach void up() { bed = new MemBed(dir, 8192); }

    @AfterEach void down() { bed.close(); }

    private void yieldEvery(int n) { bed.ts.onDispatch(() -> { bed.core.preemption().yieldEvery(n); return null; }); }

    private long yields() { return bed.ts.onDispatch(() -> bed.core.preemption().yields()); }

    @Test void populateIncreaseAndDecreaseResumeAtTheRightExtent() {
        int d = bed.createDomain(1024);
        yieldEvery(3);
        assertEquals(100, bed.reservation(XENMEM_populate_physmap, d, range(0, 100), 0, 0));
        assertEquals(100, bed.pm(d).totPages());
        for (long g = 0; g < 100; g++) assertEquals(P2mType.RAM_RW, bed.pm(d).p2m().type(g), "gfn " + g);
        assertEquals(P2mType.INVALID, bed.pm(d).p2m().type(100));
        assertTrue(yields() >= 30, "the call yielded " + yields() + " times");
        assertEquals(50, bed.reservation(XENMEM_decrease_reservation, d, range(0, 50), 0, 0));
        assertEquals(50, bed.pm(d).totPages());
        assertEquals(P2mType.INVALID, bed.pm(d).p2m().type(49));
        assertEquals(P2mType.RAM_RW, bed.pm(d).p2m().type(50));
        assertEquals(20, bed.reservation(XENMEM_increase_reservation, d, new long[20], 0, 0));
        assertEquals(70, bed.pm(d).totPages());
    }

    @Test void aPartFailureAfterContinuationsStillReturnsExtentsDone() {
        int d = bed.createDomain(40);
        yieldEvery(4);
        assertEquals(40, bed.reservation(XENMEM_populate_physmap, d, range(0, 60), 0, 0), "stops at max_pages");
        assertEquals(40, bed.pm(d).totPages());
    }

    @Test void setPodTargetGrowingTheCacheYieldsAndEndsWhereAnUninterruptedCallEnds() {
        int twin = bed.createDomain(2048);
        assertEquals(1024, bed.reservation(XENMEM_populate_physmap, twin, range(0, 1024), 0, XENMEMF_populate_on_demand));
        assertEquals(0, bed.podTarget(true, twin, 1500));
        int d = bed.createDomain(2048);
        yieldEvery(2);
        assertEquals(1024, bed.reservation(XENMEM_populate_physmap, d, range(0, 1024), 0, XENMEMF_populate_on_demand));
        long before = yields();
        assertEquals(0, bed.podTarget(true, d, 1500));
        assertTrue(yields() > before, "set_pod_target yielded");
        assertEquals(bed.pm(twin).pod().count(), bed.pm(d).pod().count(), "same cache as the uninterrupted call");
        assertEquals(bed.pm(twin).totPages(), bed.pm(d).totPages());
        assertEquals(bed.pm(twin).pod().entryCount(), bed.pm(d).pod().entryCount());
    }
}
