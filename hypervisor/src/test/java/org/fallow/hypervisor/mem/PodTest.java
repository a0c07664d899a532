package org.fallow.hypervisor.mem;

import org.fallow.abi.wire.P2mHeader;

import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.core.Domain;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.DomctlConstants.SHUTDOWN_crash;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_getdomaininfo;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_unpausedomain;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMINF_shutdown;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMINF_shutdownshift;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEMF_populate_on_demand;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_decrease_reservation;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_populate_physmap;
import static org.fallow.hypervisor.mem.MemBed.range;
import static org.fallow.hypervisor.mem.MemConstants.*;
import static org.junit.jupiter.api.Assertions.*;

/** Populate-on-demand at the seed's ratio, scaled down: maxmem 8 MiB (2048 pages), memory 4 MiB (1024 pages). */
@Timeout(120)
class PodTest {
    static final long M = 2048, T = 1024;
    static final long RAM_LOW = 0xA0, POD_FIRST = 0xC0, POD_GFNS = M - POD_FIRST, CACHE = T - 0x20 - RAM_LOW;

    @TempDir Path dir;
    MemBed bed;

    @BeforeEach void up() { bed = new MemBed(dir, 16384); }

    @AfterEach void down() { bed.close(); }

    @Test void buildGivesTheXenInvariants() {
        int d = bed.buildPodGuest(M, T);
        DomainPhysmap pm = bed.pm(d);
        assertEquals(T - 0x20, pm.totPages(), "tot_pages = target - VGA hole");
        assertEquals(CACHE, pm.pod().count());
        assertEquals(POD_GFNS, pm.pod().entryCount());
        assertEquals(RAM_LOW, pm.populatedPages());
        assertEquals(P2mType.INVALID, pm.p2m().type(0xB0), "VGA hole");
        assertEquals(16384 - (T - 0x20), bed.core.host().freePages());
    }

    @Test void firstTouchPopulatesFromTheCache() {
        int d = bed.buildPodGuest(M, T);
        DomainPhysmap pm = bed.pm(d);
        assertEquals(P2mType.POPULATE_ON_DEMAND, pm.p2m().type(0x500));
        assertEquals(0, bed.guestWriteLong(d, 0x500, 0xFEEDL));
        assertEquals(P2mType.RAM_RW, pm.p2m().type(0x500));
        assertEquals(0xFEEDL, bed.guestAccess(d, 0x500, false, 0));
        assertEquals(CACHE - 1, pm.pod().count());
        assertEquals(POD_GFNS - 1, pm.pod().entryCount());
        assertEquals(T - 0x20, pm.totPages(), "populating moves a page from the cache to the p2m");
        assertEquals(0, bed.guestAccess(d, 0x501, false, 0), "an untouched PoD frame reads zero");
        assertEquals(-XenErrno.EFAULT, bed.fault(d, 0xB0, false), "the VGA hole is not memory");
    }

    @Test void dirtyingMoreThanTheCacheCrashesTheDomain() {
        int d = bed.buildPodGuest(M, T);
        DomainPhysmap pm = bed.pm(d);
        long ok = 0, status = 0;
        for (long g = POD_FIRST; g < M; g++) {
            status = bed.guestWriteLong(d, g, g | 1);
            if (status != 0) break;
            ok++;
        }
        assertEquals(CACHE + RAM_LOW - 1, ok,
                "the cache backs one dirtied gfn per page, then the sweep reclaims the untouched (zero) low RAM gfns except gfn 0");
        assertEquals(-XenErrno.ENOMEM, status);
        Domain dom = bed.domain(d);
        assertEquals(Domain.State.CRASHED, dom.state());
        assertEquals("Dom" + d + " out of PoD memory!", dom.crashReason());
        assertEquals(P2mHeader.STATE_CRASHED, pm.p2m().domainState(), "the shared header tells the guest");
        assertTrue(pm.pod().stats().sweeps >= 1, "an emergency sweep ran before the crash");
        assertEquals(-XenErrno.EFAULT, bed.fault(d, M - 1, true), "later faults fail: the domain has crashed (PROTOCOL §3.3)");
        // getdomaininfo reports shutdown with code SHUTDOWN_crash
        bed.domctl(XEN_DOMCTL_getdomaininfo, d);
        int flags = bed.arena().get(U32_UNALIGNED, INFO_FLAGS);
        assertEquals(XEN_DOMINF_shutdown, flags & XEN_DOMINF_shutdown);
        assertEquals(SHUTDOWN_crash, (flags >>> XEN_DOMINF_shutdownshift) & 0xFF);
    }

    @Test void zeroedPagesAreReclaimedSoAScrubberSurvives() {
        int d = bed.buildPodGuest(M, T);
        DomainPhysmap pm = bed.pm(d);
        for (long g = 0; g < M; g++) {
            if (g >= RAM_LOW && g < POD_FIRST) continue;
            assertEquals(0, bed.guestWriteLong(d, g, 0), "scrubbing gfn " + g);
            assertEquals(0, bed.guestAccess(d, g, false, 0));
        }
        assertNotEquals(Domain.State.CRASHED, bed.domain(d).state());
        PodStats st = pm.pod().stats();
        assertTrue(st.zeroReclaimed >= POD_GFNS - CACHE, "zero pages went back to the cache: " + st);
        assertEquals(T - 0x20, pm.totPages(), "reclaim keeps tot_pages");
        assertEquals(POD_GFNS, pm.populatedPages() - RAM_LOW + pm.pod().entryCount(), "each PoD gfn is populated or an entry");
        assertEquals(16384 - (T - 0x20), bed.core.host().freePages());
    }

    @Test void ballooningStealsIntoTheCacheAndTheGuestThenFitsItsTarget() {
        int d = bed.buildPodGuest(M, T);
        DomainPhysmap pm = bed.pm(d);
        for (long g = POD_FIRST; g < M; g++) assertEquals(0, bed.guestWriteLong(d, g, 0));
        // the balloon driver hands back maxmem - target pages (the top ones), 512 per hypercall
        long[] balloon = range(T, M - T);
        for (int off = 0; off < balloon.length; off += 512) {
            long[] batch = java.util.Arrays.copyOfRange(balloon, off, Math.min(balloon.length, off + 512));
            assertEquals(batch.length, bed.reservation(XENMEM_decrease_reservation, d, batch, 0, 0));
        }
        assertTrue(pm.pod().stats().stolen > 0, "populated zero pages were stolen into the cache: " + pm.pod());
        assertTrue(pm.pod().entryCount() <= pm.pod().count(), "liabilities covered: " + pm.pod());
        assertTrue(pm.totPages() <= T - 0x20, "tot " + pm.totPages());
        for (long g = 0; g < T; g++) {
            if (g >= RAM_LOW && g < POD_FIRST) continue;
            assertEquals(0, bed.guestWriteLong(d, g, ~g), "dirtying gfn " + g);
        }
        for (long g = 0; g < T; g++) {
            if (g >= RAM_LOW && g < POD_FIRST) continue;
            assertEquals(~g, bed.guestAccess(d, g, false, 0), "gfn " + g);
        }
        assertNotEquals(Domain.State.CRASHED, bed.domain(d).state());
        assertEquals(0, pm.pod().entryCount(), "every remaining gfn is populated");
    }

    @Test void theEmergencySweepIsBoundedAndResumable() {
        long max = 8192;
        int d = bed.createDomain(max);
        DomainPhysmap pm = bed.pm(d);
        assertEquals(max - 1, bed.reservation(XENMEM_populate_physmap, d, range(1, max - 1), 0, XENMEMF_populate_on_demand));
        assertEquals(0, bed.podTarget(true, d, 6000));
        bed.domctl(XEN_DOMCTL_unpausedomain, d);
        // dirty the top 6000 gfns, keep the bottom ones as zero pages far below
        for (long g = max - 1; g > max - 1 - 6000; g--) assertEquals(0, bed.guestWriteLong(d, g, 7));
        // a zero page 1500 below max_guest: the first sweep must not reach it in one go...
        long zero = max - 1 - 1500;
        bed.guestWriteLong(d, zero, 0);
        // (the MRP ring only holds dirty pages now)
        for (long g = 1; g <= 40; g++) bed.guestWriteLong(d, max - 1 - g, 9);
        assertEquals(0, pm.pod().count());
        pm.pod().sweepBudget(1024);
        long st = bed.guestWriteLong(d, 100, 5);
        PodStats s = pm.pod().stats();
        assertEquals(1, s.sweeps);
        assertTrue(s.sweepMaxVisited <= Pod.SWEEP_LIMIT + 2, "one sweep visits at most limit + 2 gfns: " + s);
        assertTrue(s.sweepVisited < max / 4, "never a linear scan of the guest: " + s);
        assertEquals(-XenErrno.ENOMEM, st, "nothing found within the bound: the domain is out of PoD memory");
        assertEquals(max - 1 - s.sweepVisited, pm.pod().reclaimSingle(), "the cursor is saved for the next sweep");
    }

    @Test void aSweepResumesBelowWhereTheLastOneStopped() {
        long max = 8192;
        int d = bed.createDomain(max);
        DomainPhysmap pm = bed.pm(d);
        bed.reservation(XENMEM_populate_physmap, d, range(1, max - 1), 0, XENMEMF_populate_on_demand);
        assertEquals(0, bed.podTarget(true, d, 6000));
        bed.domctl(XEN_DOMCTL_unpausedomain, d);
        for (long g = max - 1; g > max - 1 - 6000; g--) assertEquals(0, bed.guestWriteLong(d, g, 7));
        long zero1 = max - 1 - 500, zero2 = max - 1 - 3000;
        bed.guestWriteLong(d, zero1, 0);
        bed.guestWriteLong(d, zero2, 0);
        for (long g = 1; g <= 40; g++) bed.guestWriteLong(d, max - 1 - g, 9);
        assertEquals(0, bed.guestWriteLong(d, 100, 5), "sweep 1 finds zero1 within the limit");
        PodStats s = pm.pod().stats();
        assertEquals(1, s.sweeps);
        assertEquals(Pod.SWEEP_LIMIT + 2, s.sweepMaxVisited, "it stops just past the limit once the cache is non-empty");
        long cursor = pm.pod().reclaimSingle();
        assertEquals(max - 1 - (Pod.SWEEP_LIMIT + 2), cursor);
        assertEquals(0, bed.guestWriteLong(d, 101, 5), "sweep 2 starts at the cursor and reaches zero2 within its budget");
        assertEquals(2, s.sweeps);
        assertEquals(P2mType.POPULATE_ON_DEMAND, pm.p2m().type(zero1));
        assertTrue(pm.pod().reclaimSingle() < zero2);
        assertTrue(s.sweepMaxVisited <= Pod.DEFAULT_SWEEP_BUDGET, s.toString());
    }

    @Test void ballooningNeverTouchedGfnsJustDropsEntries() {
        int d = bed.buildPodGuest(M, T);
        DomainPhysmap pm = bed.pm(d);
        assertEquals(100, bed.reservation(XENMEM_decrease_reservation, d, range(M - 100, 100), 0, 0));
        assertEquals(POD_GFNS - 100, pm.pod().entryCount());
        assertEquals(CACHE, pm.pod().count(), "entries still exceed the cache: nothing freed");
        assertEquals(P2mType.INVALID, pm.p2m().type(M - 1));
        assertEquals(T - 0x20, pm.totPages());
        // balloon so far that entries drop below the cache: the excess goes back to the host
        long more = POD_GFNS - 100 - (CACHE - 50);
        assertEquals(more, bed.reservation(XENMEM_decrease_reservation, d, range(POD_FIRST, more), 0, 0));
        assertEquals(CACHE - 50, pm.pod().entryCount());
        assertEquals(CACHE - 50, pm.pod().count());
        assertEquals(T - 0x20 - 50, pm.totPages());
        assertEquals(16384 - (T - 0x20 - 50), bed.core.host().freePages());
    }

    @Test void framesTheHypervisorIsUsingAreNotReclaimedUnderIt() throws Exception {
        int d = bed.buildPodGuest(M, T);
        DomainPhysmap pm = bed.pm(d);
        // use up the cache with dirty pages, then make one populated page zero again
        long g = POD_FIRST;
        while (pm.pod().count() > 0) assertEquals(0, bed.guestWriteLong(d, g++, 3));
        long zero = g - 1;
        assertEquals(0, bed.guestWriteLong(d, zero, 0));
        var space = bed.domain(d).part(org.fallow.hypervisor.core.GuestAddressSpace.class);
        long pod = M - 1;
        int[] typeDuring = bed.ts.onDispatch(() -> {
            space.map(zero * 4096, 8);          // the hypervisor reads the zero frame (e.g. a hypercall struct) ...
            space.map(pod * 4096, 8);           // ... and then needs a PoD frame: reclaim must pick another page
            return new int[] {pm.p2m().type(zero), P2m.inflightOf(pm.p2m().word(zero)), pm.p2m().type(pod)};
        });
        assertEquals(P2mType.RAM_RW, typeDuring[0], "the pinned frame stays mapped");
        assertEquals(1, typeDuring[1], "pinned once per hypercall");
        assertEquals(P2mType.RAM_RW, typeDuring[2]);
        bed.ts.onDispatch(() -> 0); // the unpin runs after the hypercall's task
        assertEquals(0, P2m.inflightOf(pm.p2m().word(zero)));
        assertEquals(Domain.State.RUNNING, bed.domain(d).state());
    }

    @Test void absurdGfnsInDecreaseReservationChangeNothing() {
        int d = bed.buildPodGuest(M, T);
        DomainPhysmap pm = bed.pm(d);
        long entries = pm.pod().entryCount(), count = pm.pod().count();
        assertEquals(0, bed.reservation(XENMEM_decrease_reservation, d, new long[] {Long.MAX_VALUE - 3}, 2, 0));
        assertEquals(0, bed.reservation(XENMEM_decrease_reservation, d, new long[] {-1L}, 0, 0));
        assertEquals(0, bed.reservation(XENMEM_decrease_reservation, d, new long[] {M + 10}, 0, 0));
        assertEquals(entries, pm.pod().entryCount());
        assertEquals(count, pm.pod().count());
    }
}
