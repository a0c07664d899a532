package org.fallow.hypervisor.mem;

import org.fallow.hypervisor.testing.InProcessToolstack;
import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.core.Caller;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;
import static org.fallow.abi.xen.MemoryOpConstants.MEMOP_EXTENT_SHIFT;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEMF_populate_on_demand;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEMF_exact_node_request;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_current_reservation;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_decrease_reservation;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_get_pod_target;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_increase_reservation;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_maximum_gpfn;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_maximum_ram_page;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_maximum_reservation;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_populate_physmap;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_set_pod_target;
import static org.fallow.hypervisor.mem.MemBed.range;
import static org.fallow.hypervisor.mem.MemConstants.*;
import static org.junit.jupiter.api.Assertions.*;

@Timeout(60)
class ReservationOpsTest {
    @TempDir Path dir;
    MemBed bed;

    @BeforeEach void up() { bed = new MemBed(dir, 4096); }

    @AfterEach void down() { bed.close(); }

    @Test void populatePhysmapReturnsExtentsDoneAndAccountsPages() {
        int d = bed.createDomain(64);
        assertEquals(16, bed.reservation(XENMEM_populate_physmap, d, range(0, 16), 0, 0));
        assertEquals(16, bed.pm(d).totPages());
        assertEquals(4096 - 16, bed.core.host().freePages());
        assertEquals(P2mType.RAM_RW, bed.pm(d).p2m().type(15));
        assertEquals(P2mType.INVALID, bed.pm(d).p2m().type(16));
        // an order-2 extent and a continuation: start extent 1 skips the first gfn of the list
        assertEquals(3, bed.reservation(bed.ts.caller(), XENMEM_populate_physmap, d, new long[] {16, 20, 24}, 2, 0, 1));
        assertEquals(16 + 8, bed.pm(d).totPages());
        assertEquals(P2mType.INVALID, bed.pm(d).p2m().type(16), "extent 0 was skipped by the continuation");
        assertEquals(P2mType.RAM_RW, bed.pm(d).p2m().type(27));
    }

    @Test void maxPagesStopsAllocationPartWay() {
        int d = bed.createDomain(10);
        assertEquals(10, bed.reservation(XENMEM_populate_physmap, d, range(0, 10), 0, 0), "the 11th page would exceed max_pages");
        assertEquals(0, bed.reservation(XENMEM_increase_reservation, d, range(0, 4), 0, 0));
        assertEquals(10, bed.pm(d).totPages());
    }

    @Test void malformedOrForeignRequestsReturnTheStartExtent() {
        int d = bed.createDomain(64);
        assertEquals(0, bed.reservation(XENMEM_populate_physmap, 999, range(0, 4), 0, 0), "unknown domain");
        assertEquals(2, bed.reservation(bed.ts.caller(), XENMEM_populate_physmap, 999, range(0, 4), 0, 0, 2), "unknown domain, continuation");
        assertEquals(5, bed.reservation(bed.ts.caller(), XENMEM_populate_physmap, d, range(0, 4), 0, 0, 5), "start >= nr_extents");
        assertEquals(0, bed.reservation(XENMEM_populate_physmap, d, range(0, 4), 0, 12), "address bits <= 12");
        assertEquals(0, bed.reservation(XENMEM_populate_physmap, d, range(0, 4), 13, 0), "order above the toolstack's max order");
        assertEquals(0, bed.ts.memoryOp(XENMEM_populate_physmap, 0x1234), "copy fault on the struct");
        bed.writeReservation(d, range(0, 4), 0, 0);
        bed.arena().set(U64_UNALIGNED, RES_NR_EXTENTS, 1L << 40);
        assertEquals(0, bed.ts.memoryOp(XENMEM_populate_physmap, InProcessToolstack.handle(0)), "nr_extents > UINT_MAX >> 6");
        bed.writeReservation(d, range(0, 4), 0, 0);
        bed.arena().set(U64_UNALIGNED, RES_EXTENT_START, 0x10);
        assertEquals(0, bed.ts.memoryOp(XENMEM_populate_physmap, InProcessToolstack.handle(0)), "extent list faults");
        assertEquals(0, bed.pm(d).totPages());
    }

    /** extent_order is an unsigned int: 0x80000000.. must be refused like any order above the limit, not shifted. */
    @Test void hugeExtentOrdersAreRefusedWithTheStartExtentAndChangeNothing() {
        int d = bed.createDomain(64);
        assertEquals(4, bed.reservation(XENMEM_populate_physmap, d, range(0, 4), 0, 0));
        long free = bed.core.host().freePages();
        for (int order : new int[] {-1, Integer.MIN_VALUE, 63, 64}) {
            String o = Integer.toUnsignedString(order);
            assertEquals(0, bed.reservation(XENMEM_increase_reservation, d, range(0, 2), order, 0), "increase, order " + o);
            assertEquals(0, bed.reservation(XENMEM_populate_physmap, d, range(8, 2), order, 0), "populate, order " + o);
            assertEquals(0, bed.reservation(XENMEM_populate_physmap, d, range(8, 2), order, XENMEMF_populate_on_demand),
                    "PoD populate, order " + o);
            assertEquals(0, bed.reservation(XENMEM_decrease_reservation, d, range(0, 2), order, 0), "decrease, order " + o);
            assertEquals(3, bed.reservation(bed.ts.caller(), XENMEM_decrease_reservation, d, range(0, 4), order, 0, 3),
                    "a continuation returns its start extent, order " + o);
        }
        assertEquals(4, bed.pm(d).totPages(), "nothing allocated or freed");
        assertEquals(free, bed.core.host().freePages());
        assertEquals(0, bed.pm(d).pod().entryCount(), "nothing marked PoD");
        assertEquals(P2mType.RAM_RW, bed.pm(d).p2m().type(0));
        assertEquals(2, bed.reservation(XENMEM_populate_physmap, d, range(8, 2), 0, 0), "still serving");
    }

    /** gfns outside the physmap: populate (RAM or PoD) stops at that extent, nothing is allocated or marked. */
    @Test void populateStopsAtGfnsOutsideThePhysmap() {
        int d = bed.createDomain(64);
        long nrFrames = bed.pm(d).p2m().nrFrames();
        long free = bed.core.host().freePages();
        long[] bad = {nrFrames, 1L << 40, 1L << 52, Long.MAX_VALUE, -1L, Long.MIN_VALUE};
        for (int i = 0; i < bad.length; i++) {
            long gfn = bad[i];
            String g = "gfn 0x" + Long.toHexString(gfn);
            assertEquals(1, bed.reservation(XENMEM_populate_physmap, d, new long[] {10 + i, gfn, 30 + i}, 0, 0), "RAM, " + g);
            assertEquals(P2mType.INVALID, bed.pm(d).p2m().type(30 + i), "the extent after the bad one is not done");
            assertEquals(0, bed.reservation(XENMEM_populate_physmap, d, new long[] {gfn, 2}, 0, XENMEMF_populate_on_demand),
                    "PoD, " + g);
        }
        long maxAligned = Long.MAX_VALUE - ((1L << MAX_ORDER) - 1); // gfn + 2^order - 1 == Long.MAX_VALUE: no overflow
        assertEquals(0, bed.reservation(XENMEM_populate_physmap, d, new long[] {maxAligned}, MAX_ORDER, XENMEMF_populate_on_demand));
        assertEquals(bad.length, bed.pm(d).totPages(), "only the good first extent of each call");
        assertEquals(free - bad.length, bed.core.host().freePages());
        assertEquals(0, bed.pm(d).pod().entryCount());
        assertEquals(1, bed.reservation(XENMEM_populate_physmap, d, new long[] {1}, 0, 0), "still serving");
    }

    @Test void aGuestMayOnlyChangeItsOwnReservation() {
        int d1 = bed.createDomain(64);
        int d2 = bed.createDomain(64);
        assertEquals(4, bed.reservation(XENMEM_populate_physmap, d1, range(0, 4), 0, 0));
        Caller g1 = bed.guest(d1);
        // the guest's own struct lives in its RAM (gfn 0 = GPA 0); its extent list at gfn 1
        var mem = bed.pm(d1).file();
        mem.frame(0).fill((byte) 0);
        mem.frame(0).set(U64_UNALIGNED, RES_EXTENT_START, 4096);
        mem.frame(0).set(U64_UNALIGNED, RES_NR_EXTENTS, 2);
        mem.frame(0).set(U16_UNALIGNED, RES_DOMID, (short) d2);
        mem.frame(1).set(U64_UNALIGNED, 0, 8);           // extent_start[0]
        mem.frame(1).set(U64_UNALIGNED, Long.BYTES, 9);  // extent_start[1] (xen_pfn_t is 8 bytes)
        assertEquals(0, bed.ts.memoryOp(g1, XENMEM_populate_physmap, 0), "another domain: denied, 0 extents");
        mem.frame(0).set(U16_UNALIGNED, RES_DOMID, (short) 0x7FF0);
        assertEquals(2, bed.ts.memoryOp(g1, XENMEM_populate_physmap, 0), "DOMID_SELF");
        assertEquals(6, bed.pm(d1).totPages());
        mem.frame(0).set(U32_UNALIGNED, RES_MEM_FLAGS, XENMEMF_populate_on_demand);
        mem.frame(1).set(U64_UNALIGNED, 0, 30);
        assertEquals(0, bed.ts.memoryOp(g1, XENMEM_populate_physmap, 0), "no PoD on oneself");
    }

    /** XSM_TARGET: a guest naming another domain in decrease/increase gets 0 extents and the victim keeps its memory. */
    @Test void aGuestCannotShrinkOrGrowAnotherDomain() {
        int d1 = bed.createDomain(64);
        int d2 = bed.createDomain(64);
        assertEquals(3, bed.reservation(XENMEM_populate_physmap, d1, range(0, 3), 0, 0));
        assertEquals(8, bed.reservation(XENMEM_populate_physmap, d2, range(0, 8), 0, 0));
        assertEquals(0, bed.guestWriteLong(d2, 3, 0xD2D2));
        long free = bed.core.host().freePages();
        Caller g1 = bed.guest(d1);
        var mem = bed.pm(d1).file();
        mem.frame(0).fill((byte) 0);
        mem.frame(0).set(U64_UNALIGNED, RES_EXTENT_START, 4096);
        mem.frame(0).set(U64_UNALIGNED, RES_NR_EXTENTS, 4);
        mem.frame(0).set(U16_UNALIGNED, RES_DOMID, (short) d2);
        for (int i = 0; i < 4; i++) mem.frame(1).set(U64_UNALIGNED, 8L * i, i + 2);
        assertEquals(0, bed.ts.memoryOp(g1, XENMEM_decrease_reservation, 0), "decrease on d2: 0 extents");
        assertEquals(0, bed.ts.memoryOp(g1, XENMEM_increase_reservation, 0), "increase on d2: 0 extents");
        assertEquals(2, bed.ts.memoryOp(g1, XENMEM_decrease_reservation | (2 << MEMOP_EXTENT_SHIFT), 0),
                "a continuation gets its start extent back");
        assertEquals(8, bed.pm(d2).totPages(), "d2 kept every page");
        assertEquals(free, bed.core.host().freePages());
        assertEquals(0xD2D2L, bed.guestAccess(d2, 3, false, 0), "d2's data is intact");
        mem.frame(0).set(U16_UNALIGNED, RES_DOMID, (short) d1);
        mem.frame(0).set(U64_UNALIGNED, RES_NR_EXTENTS, 1);
        mem.frame(1).set(U64_UNALIGNED, 0, 2);
        assertEquals(1, bed.ts.memoryOp(g1, XENMEM_decrease_reservation, 0), "its own gfn 2: allowed, still serving");
        assertEquals(2, bed.pm(d1).totPages());
    }

    /**
     * Issue 15 item 11: propagate_node. The toolstack may name nodes 0..63 (exact or not), node >= MAX_NUMNODES is
     * refused; a guest's node is a hint, its exact-node request is refused; refused calls return the start extent.
     */
    @Test void numaNodeBitsFollowPropagateNode() {
        int d = bed.createDomain(64);
        int exact3 = (3 + 1) << 8 | XENMEMF_exact_node_request, node63 = (63 + 1) << 8, node64 = (64 + 1) << 8;
        assertEquals(2, bed.reservation(XENMEM_populate_physmap, d, range(0, 2), 0, exact3), "toolstack, exact node 3");
        assertEquals(2, bed.reservation(XENMEM_populate_physmap, d, range(2, 2), 0, node63), "toolstack, node 63");
        assertEquals(0, bed.reservation(XENMEM_populate_physmap, d, range(4, 2), 0, node64), "node 64 >= MAX_NUMNODES");
        assertEquals(0, bed.reservation(XENMEM_decrease_reservation, d, range(0, 1), 0, 0xFF00 | XENMEMF_exact_node_request),
                "decrease checks the node too (node 254)");
        assertEquals(4, bed.pm(d).totPages());
        Caller g = bed.guest(d);
        var mem = bed.pm(d).file();
        for (int[] t : new int[][] {{(3 + 1) << 8, 1}, {node64, 1}, {exact3, 0}, {XENMEMF_exact_node_request, 1}}) {
            mem.frame(0).fill((byte) 0);
            mem.frame(0).set(U64_UNALIGNED, RES_EXTENT_START, 4096);
            mem.frame(0).set(U64_UNALIGNED, RES_NR_EXTENTS, 1);
            mem.frame(0).set(U32_UNALIGNED, RES_MEM_FLAGS, t[0]);
            mem.frame(0).set(U16_UNALIGNED, RES_DOMID, (short) 0x7FF0);
            mem.frame(1).set(U64_UNALIGNED, 0, 3);
            assertEquals(t[1], bed.ts.memoryOp(g, XENMEM_decrease_reservation, 0), "guest, mem_flags 0x" + Integer.toHexString(t[0]));
            if (t[1] == 1) assertEquals(1, bed.reservation(XENMEM_populate_physmap, d, range(3, 1), 0, 0));
        }
    }

    @Test void decreaseReservationFreesPagesAndStopsAtInvalidGfns() {
        int d = bed.createDomain(64);
        assertEquals(8, bed.reservation(XENMEM_populate_physmap, d, range(0, 8), 0, 0));
        assertEquals(3, bed.reservation(XENMEM_decrease_reservation, d, new long[] {1, 2, 3, 40, 4}, 0, 0),
                "gfn 40 is invalid: -ENOENT stops the call");
        assertEquals(5, bed.pm(d).totPages());
        assertEquals(4096 - 5, bed.core.host().freePages());
        assertEquals(P2mType.INVALID, bed.pm(d).p2m().type(2));
    }

    /**
     * Issue 15 item 3: Xen 4.12's guest_remove_page frees a nominated (ram_paging_out) gfn like RAM ("goto
     * obtain_page"): the frame goes back, tot_pages drops, and no drop-page request is sent; ram_paged and
     * ram_paging_in gfns are dropped through the pager (paged_pages drops for the evicted one).
     */
    @Test void freeingANominatedGfnFreesItLikeRamWithoutADropRequest() {
        int d = bed.createDomain(64);
        assertEquals(8, bed.reservation(XENMEM_populate_physmap, d, range(0, 8), 0, 0));
        DomainPhysmap pm = bed.pm(d);
        java.util.List<String> drops = new java.util.ArrayList<>();
        pm.pagingHook(new PagingHook() {
            @Override public void guestFault(org.fallow.hypervisor.core.Domain dom, long gfn, int t, boolean w, int vcpu,
                                             org.fallow.hypervisor.core.MemoryFaultHandler.Reply reply) { reply.resolved(); }
            @Override public void populate(org.fallow.hypervisor.core.Domain dom, long gfn, int t) {}
            @Override public void dropPage(org.fallow.hypervisor.core.Domain dom, long gfn, int oldType) { drops.add(gfn + ":" + oldType); }
        });
        assertTrue(pm.p2m().casType(3, P2mType.RAM_RW, P2mType.RAM_PAGING_OUT), "nominated");
        assertTrue(pm.p2m().casType(4, P2mType.RAM_RW, P2mType.RAM_PAGING_OUT));
        pm.releaseFrame(4);
        pm.p2m().setType(4, P2mType.RAM_PAGED); // evicted
        pm.pagedPagesAdd(1);
        long free = bed.core.host().freePages();
        assertEquals(7, pm.totPages());
        assertEquals(1, bed.reservation(XENMEM_decrease_reservation, d, new long[] {3}, 0, 0));
        assertEquals(P2mType.INVALID, pm.p2m().type(3));
        assertEquals(6, pm.totPages(), "the nominated page's frame is freed like RAM");
        assertEquals(free + 1, bed.core.host().freePages());
        assertEquals(java.util.List.of(), drops, "no DROP_PAGE|EVICT_FAIL request for a nominated gfn");
        assertEquals(1, bed.reservation(XENMEM_decrease_reservation, d, new long[] {4}, 0, 0));
        assertEquals(java.util.List.of("4:" + P2mType.RAM_PAGED), drops, "a paged-out gfn is dropped through the pager");
        assertEquals(0, pm.pagedPages());
        assertEquals(6, pm.totPages());
    }

    @Test void freedFramesGiveTheirStorageBackToTheHost() throws Exception {
        int d = bed.createDomain(512);
        assertEquals(512, bed.reservation(XENMEM_populate_physmap, d, range(0, 512), 0, 0));
        GuestMemoryFile f = bed.pm(d).file();
        assertEquals(0, f.allocatedBytes(), "populated but untouched frames use no storage");
        for (long g = 0; g < 512; g++) assertEquals(0, bed.guestWriteLong(d, g, g + 1));
        long dirty = f.allocatedBytes();
        assertTrue(dirty >= 512L * 4096, "written frames are backed: " + dirty);
        assertEquals(384, bed.reservation(XENMEM_decrease_reservation, d, range(128, 384), 0, 0));
        long after = f.allocatedBytes();
        assertTrue(after <= dirty - 384L * 4096, "decrease_reservation punched the frames: " + dirty + " -> " + after);
        assertEquals(128, bed.pm(d).totPages());
        assertEquals(5L, bed.guestAccess(d, 4, false, 0), "the frames kept keep their data");
    }

    @Test void increaseReservationAllocatesUnmappedPagesForHvm() {
        int d = bed.createDomain(64);
        assertEquals(2, bed.reservation(XENMEM_increase_reservation, d, range(0, 2), 1, 0));
        assertEquals(4, bed.pm(d).totPages());
        assertEquals(4, bed.pm(d).extraPages());
        assertEquals(P2mType.INVALID, bed.pm(d).p2m().type(0));
    }

    @Test void reservationQueries() {
        int d = bed.createDomain(64);
        bed.reservation(XENMEM_populate_physmap, d, new long[] {3, 40}, 0, 0);
        bed.arena().set(U16_UNALIGNED, 0, (short) d);
        long h = InProcessToolstack.handle(0);
        assertEquals(2, bed.ts.memoryOp(XENMEM_current_reservation, h));
        assertEquals(64, bed.ts.memoryOp(XENMEM_maximum_reservation, h));
        assertEquals(40, bed.ts.memoryOp(XENMEM_maximum_gpfn, h));
        assertEquals(-XenErrno.EINVAL, bed.ts.memoryOp(XENMEM_current_reservation | (1 << 6), h));
        assertEquals(4096, bed.ts.memoryOp(XENMEM_maximum_ram_page, 0), "max_page: the host's pages");
        assertEquals(-XenErrno.EINVAL, bed.ts.memoryOp(XENMEM_maximum_ram_page | (2 << 6), 0));
        assertEquals(-XenErrno.EFAULT, bed.ts.memoryOp(XENMEM_current_reservation, 0));
        bed.arena().set(U16_UNALIGNED, 0, (short) 77);
        assertEquals(-XenErrno.ESRCH, bed.ts.memoryOp(XENMEM_maximum_reservation, h));
        int other = bed.createDomain(8);
        Caller g = bed.guest(d);
        bed.pm(d).file().frame(3).set(U16_UNALIGNED, 0, (short) other);
        assertEquals(-XenErrno.EPERM, bed.ts.memoryOp(g, XENMEM_current_reservation, 3 * 4096));
        bed.pm(d).file().frame(3).set(U16_UNALIGNED, 0, (short) 0x7FF0);
        assertEquals(2, bed.ts.memoryOp(g, XENMEM_current_reservation, 3 * 4096));
    }

    @Test void podTargetConventions() {
        int d = bed.createDomain(1024);
        assertEquals(1024 - 0xC0, bed.reservation(XENMEM_populate_physmap, d, range(0xC0, 1024 - 0xC0), 0, XENMEMF_populate_on_demand));
        assertEquals(-XenErrno.EINVAL, bed.podTarget(true, d, 1025));
        assertEquals(0xEEEEEEEEEEEEEEEEL, bed.podField(POD_TOT_PAGES), "nothing copied back on error");
        assertEquals(-XenErrno.ESRCH, bed.podTarget(true, 99, 10));
        Caller g = bed.guestStructCaller(d);
        bed.pm(d).file().frame(0).set(U16_UNALIGNED, POD_DOMID, (short) 0x7FF0);
        assertEquals(-XenErrno.EPERM, bed.ts.memoryOp(g, XENMEM_set_pod_target, 0), "XSM_PRIV");
        assertEquals(-XenErrno.EPERM, bed.ts.memoryOp(g, XENMEM_get_pod_target, 0), "XSM_PRIV");
        assertEquals(1, bed.reservation(XENMEM_decrease_reservation, d, new long[] {0}, 0, 0), "gfn 0 handed back");
        assertEquals(1, bed.pm(d).pod().count(), "entries outnumber the cache: the page is stolen into it");
        assertEquals(0, bed.podTarget(true, d, 600));
        assertEquals(600, bed.podField(POD_TOT_PAGES));
        assertEquals(600, bed.podField(POD_CACHE_PAGES));
        assertEquals(1024 - 0xC0, bed.podField(POD_ENTRIES));
        assertEquals(600, bed.podField(POD_TARGET_PAGES), "IN field untouched");
        assertEquals(1, bed.pm(d).pod().superCount(), "512 pages come as one 2 MiB chunk");
        assertEquals(88, bed.pm(d).pod().singleCount());
        assertEquals(0, bed.podTarget(true, d, 100), "a lower target never shrinks the cache");
        assertEquals(600, bed.podField(POD_CACHE_PAGES));
        assertEquals(0, bed.podTarget(false, d, 0));
        assertEquals(600, bed.podField(POD_TOT_PAGES));
        assertEquals(1024 - 0xC0, bed.podField(POD_ENTRIES));
        assertEquals(4096 - 600, bed.core.host().freePages());
    }

    @Test void podMarkingRefusesRamAndCountsExistingEntriesOnce() {
        int d = bed.createDomain(64);
        assertEquals(1, bed.reservation(XENMEM_populate_physmap, d, new long[] {5}, 0, 0));
        assertEquals(1, bed.reservation(XENMEM_populate_physmap, d, new long[] {0, 4}, 2, XENMEMF_populate_on_demand),
                "the second extent holds RAM gfn 5: -EBUSY stops the call");
        assertEquals(4, bed.pm(d).pod().entryCount());
        assertEquals(2, bed.reservation(XENMEM_populate_physmap, d, new long[] {0, 8}, 2, XENMEMF_populate_on_demand));
        assertEquals(8, bed.pm(d).pod().entryCount(), "re-marking PoD gfns does not count them twice");
        assertEquals(1, bed.reservation(XENMEM_populate_physmap, d, new long[] {9}, 0, 0));
        assertEquals(7, bed.pm(d).pod().entryCount(), "populating over a PoD gfn removes its entry");
    }
}
