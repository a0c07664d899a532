package org.fallow.conformance.cases;

import org.fallow.abi.xen.VmEventRequest;
import org.fallow.abi.XenErrno;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.xen.DomctlConstants;
import org.fallow.abi.xen.XenDomctl;
import org.fallow.abi.xen.TmemConstants;
import org.fallow.abi.xen.XenMemoryReservation;
import org.fallow.conformance.Guest;
import org.fallow.conformance.MappedFile;
import org.fallow.conformance.Wire;
import org.fallow.conformance.Toolstack;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.fallow.abi.xen.MemoryOpConstants.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Places where an implementation is easily "almost Xen" (issue 15): HAP required for paging, DOMID_SELF in paging
 * calls, tmem zero pages charged like any page, hypervisor accesses to paged-out frames, freeing a nominated gfn.
 * Each case names the Xen 4.12 source behaviour it checks (xen-abi.md §2.3, §2.4, §5.1, §5.4).
 */
@DisplayName("Xen 4.12 fidelity: HAP for paging, DOMID_SELF, tmem zero pages, paged-out frames (xen-abi §2, §5)")
class XenFidelityConformance extends CaseSupport {
    private static final int HVM_PARAM_PAGING_RING_PFN = org.fallow.abi.xen.HvmOpConstants.HVM_PARAM_PAGING_RING_PFN;
    private static final long RING_GFN = 40;

    @Test @DisplayName("paging ENABLE needs HAP: an HVM domain created without XEN_DOMCTL_CDF_hap and a PV domain get -ENODEV")
    void pagingNeedsHap() throws Exception {
        try (Toolstack ts = Toolstack.connect(target());
             Guest shadow = Guest.create(ts, 64, 8, DomctlConstants.XEN_DOMCTL_CDF_hvm);
             Guest pv = Guest.create(ts, 64, 8, 0)) {
            assertEquals(1, ts.populate(shadow.domid(), RING_GFN, 1), "ring gfn");
            assertEquals(0, ts.setHvmParam(shadow.domid(), HVM_PARAM_PAGING_RING_PFN, RING_GFN), "HVM param on an HVM domain");
            assertEquals(-XenErrno.ENODEV, ts.vmEventPaging(shadow.domid(), DomctlConstants.XEN_VM_EVENT_ENABLE, null),
                    "HVM without CDF_hap: shadow paging, no mem_paging");
            assertEquals(-XenErrno.ENODEV, ts.vmEventPaging(pv.domid(), DomctlConstants.XEN_VM_EVENT_ENABLE, null), "PV domain");
            assertEquals(-XenErrno.ENODEV, ts.pagingOp(XENMEM_paging_op_nominate, shadow.domid(), 1, 0), "no ring was made");
            XenDomctl info = new XenDomctl();
            assertEquals(0, ts.domctl(DomctlConstants.XEN_DOMCTL_getdomaininfo, shadow.domid(), null, info));
            assertEquals(0, info.getdomaininfo().flags() & DomctlConstants.XEN_DOMINF_hap, "getdomaininfo: no XEN_DOMINF_hap");
        }
    }

    @Test @DisplayName("DOMID_SELF in XENMEM_paging_op and the vm_event domctl from the toolstack: -ESRCH (Xen looks it up by id, not as the caller)")
    void domidSelfInPagingCalls() throws Exception {
        try (Toolstack ts = Toolstack.connect(target())) {
            assertEquals(-XenErrno.ESRCH, ts.pagingOp(XENMEM_paging_op_nominate, Hypercalls.DOMID_SELF, 1, 0), "paging_op DOMID_SELF");
            assertEquals(-XenErrno.EPERM, ts.pagingOp(XENMEM_paging_op_nominate, 0, 1, 0), "paging_op naming dom0 (the caller)");
            assertEquals(-XenErrno.ESRCH, ts.vmEventPaging(Hypercalls.DOMID_SELF, DomctlConstants.XEN_VM_EVENT_ENABLE, null), "domctl DOMID_SELF");
            assertEquals(-XenErrno.EINVAL, ts.vmEventPaging(0, DomctlConstants.XEN_VM_EVENT_ENABLE, null), "vm_event on dom0 (the caller)");
        }
    }

    @Test @DisplayName("a nominated (ram_paging_out) gfn freed by the guest is freed like RAM: 1 extent, tot_pages - 1, no DROP_PAGE request; a paged gfn freed next is the ring's first request")
    void freeingANominatedGfn() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 64, 32)) {
            int d = g.domid();
            try (PagingRingConformance.PagingBed bed = PagingRingConformance.pagingBed(ts, g)) {
                int port = bed.port();
                MemorySegment ring = bed.ring();
                long nominated = 12, paged = 13;
                assertEquals(0, ts.pagingOp(XENMEM_paging_op_nominate, d, nominated, 0));
                long tot = totPages(ts, d);
                assertEquals(1, guestDecrease(g, nominated), "one extent freed");
                assertEquals(1, g.p2mType(nominated), "invalid");
                assertEquals(tot - 1, totPages(ts, d), "its frame was freed");
                assertEquals(-XenErrno.EBUSY, ts.pagingOp(XENMEM_paging_op_evict, d, nominated, 0), "the pager's evict fails");
                assertEquals(0, (int) PagingRingConformance.RING_IDX.getAcquire(ring, (long) PagingRingConformance.REQ_PROD), "no request");

                assertEquals(0, ts.pagingOp(XENMEM_paging_op_nominate, d, paged, 0));
                assertEquals(0, ts.pagingOp(XENMEM_paging_op_evict, d, paged, 0));
                assertEquals(1, guestDecrease(g, paged));
                PagingRingConformance.expectKick(ts, port);
                assertEquals(1, (int) PagingRingConformance.RING_IDX.getAcquire(ring, (long) PagingRingConformance.REQ_PROD),
                        "only the paged gfn's DROP_PAGE");
                MemorySegment drop = ring.asSlice(PagingRingConformance.entry(0), 376);
                assertEquals(paged, drop.get(org.fallow.abi.xen.XenLayouts.U64_UNALIGNED, VmEventRequest.MEM_PAGING_GFN_OFFSET), "u.mem_paging.gfn");
                assertEquals(1, drop.get(org.fallow.abi.xen.XenLayouts.U32_UNALIGNED, VmEventRequest.MEM_PAGING_FLAGS_OFFSET), "u.mem_paging.flags: DROP_PAGE only");
            }
        }
    }

    static long totPages(Toolstack ts, int d) throws Exception {
        XenDomctl info = new XenDomctl();
        assertEquals(0, ts.domctl(DomctlConstants.XEN_DOMCTL_getdomaininfo, d, null, info));
        return info.getdomaininfo().totPages();
    }

    /** Where {@link #guestDecrease} puts its xen_pfn_t extent list: this byte of gfn 4, after the struct. */
    private static final int EXTENT_LIST_AT = 256;

    /** The guest's own decrease_reservation of one gfn: the struct at gfn 4, its extent list at gfn 4 + 256 bytes. */
    static long guestDecrease(Guest g, long gfn) throws Exception {
        MemorySegment r = g.page(4);
        r.fill((byte) 0);
        r.set(org.fallow.abi.xen.XenLayouts.U64_UNALIGNED, EXTENT_LIST_AT, gfn);
        new XenMemoryReservation().wrap(r, 0).extentStart(Guest.gpa(4, EXTENT_LIST_AT)).nrExtents(1).extentOrder(0)
                .memFlags(0).domid(Hypercalls.DOMID_SELF);
        return g.hypercall(Hypercalls.MEMORY_OP, XENMEM_decrease_reservation, Guest.gpa(4, 0));
    }

    @Test @DisplayName("an all-zero page put in a persistent pool is a page like any other: tot_pages + 1, and -ENOMEM at tot_pages = max_pages")
    void tmemZeroPagesAreCharged() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 16, 8)) {
            g.connect(target(), Wire.PROFILE_412);
            int pool = (int) TmemCalls.newPool(g, TmemConstants.poolFlags(true, false, TmemConstants.TMEM_SPEC_VERSION), 0, 0);
            assertTrue(pool >= 0, "persistent pool: " + pool);
            g.page(TmemCalls.SRC_GFN).fill((byte) 0);
            long tot = totPages(ts, g.domid());
            assertEquals(8, tot);
            assertEquals(1, TmemCalls.page(g, TmemConstants.TMEM_PUT_PAGE, pool, 0, TmemCalls.SRC_GFN), "zero page put");
            assertEquals(tot + 1, totPages(ts, g.domid()), "counted in tot_pages");
            for (int i = 1; i < 8; i++)
                assertEquals(1, TmemCalls.page(g, TmemConstants.TMEM_PUT_PAGE, pool, i, TmemCalls.SRC_GFN), "zero page " + i);
            assertEquals(16, totPages(ts, g.domid()), "tot_pages = max_pages");
            assertEquals(-XenErrno.ENOMEM, TmemCalls.page(g, TmemConstants.TMEM_PUT_PAGE, pool, 8, TmemCalls.SRC_GFN),
                    "no room for a ninth zero page");
            g.page(TmemCalls.DST_GFN).fill((byte) 0x77);
            assertEquals(1, TmemCalls.page(g, TmemConstants.TMEM_GET_PAGE, pool, 3, TmemCalls.DST_GFN));
            assertArrayEquals(new byte[Guest.PAGE], TmemCalls.destination(g), "reads back as zeros");
        }
    }

    @Test @DisplayName("paged-out frames and the hypervisor: tmem's cmfn gives -EFAULT and no request; the guest's own hypercall struct gives -EFAULT and a VCPU_PAUSED request (vcpu 0, p2mt 10)")
    void pagedOutFramesInHypervisorAccesses() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 64, 32)) {
            int d = g.domid();
            try (PagingRingConformance.PagingBed bed = PagingRingConformance.pagingBed(ts, g)) {
                int port = bed.port();
                MemorySegment ring = bed.ring();
                int pool = (int) TmemCalls.newPool(g, TmemConstants.poolFlags(true, false, TmemConstants.TMEM_SPEC_VERSION), 0, 0);
                assertTrue(pool >= 0);
                TmemCalls.fillSource(g, 5);
                assertEquals(0, ts.pagingOp(XENMEM_paging_op_nominate, d, TmemCalls.SRC_GFN, 0));
                assertEquals(0, ts.pagingOp(XENMEM_paging_op_evict, d, TmemCalls.SRC_GFN, 0));
                assertEquals(-XenErrno.EFAULT, TmemCalls.page(g, TmemConstants.TMEM_PUT_PAGE, pool, 0, TmemCalls.SRC_GFN),
                        "tmem's cmfn is paged out: get_page_from_gfn fails");
                assertEquals(10, g.p2mType(TmemCalls.SRC_GFN), "still ram_paged: tmem does not populate");
                assertEquals(0, (int) PagingRingConformance.RING_IDX.getAcquire(ring, (long) PagingRingConformance.REQ_PROD), "no request");

                // the tmem_op struct itself (gfn OP_GFN) paged out: copy_from_guest populates as the guest's vCPU
                TmemCalls.page(g, TmemConstants.TMEM_FLUSH_PAGE, pool, 0, 0); // leaves a valid op in OP_GFN
                assertEquals(0, ts.pagingOp(XENMEM_paging_op_nominate, d, TmemCalls.OP_GFN, 0));
                assertEquals(0, ts.pagingOp(XENMEM_paging_op_evict, d, TmemCalls.OP_GFN, 0));
                assertEquals(-XenErrno.EFAULT, g.hypercall(Hypercalls.TMEM_OP, Guest.gpa(TmemCalls.OP_GFN, 0)), "copy-in of tmem_op");
                PagingRingConformance.expectKick(ts, port);
                assertEquals(1, (int) PagingRingConformance.RING_IDX.getAcquire(ring, (long) PagingRingConformance.REQ_PROD));
                MemorySegment req = ring.asSlice(PagingRingConformance.entry(0), 376);
                assertEquals(4, req.get(org.fallow.abi.xen.XenLayouts.U32_UNALIGNED, 0), "version");
                assertEquals(1, req.get(org.fallow.abi.xen.XenLayouts.U32_UNALIGNED, VmEventRequest.FLAGS_OFFSET), "flags: VCPU_PAUSED, not FOREIGN");
                assertEquals(3, req.get(org.fallow.abi.xen.XenLayouts.U32_UNALIGNED, VmEventRequest.REASON_OFFSET), "reason MEM_PAGING");
                assertEquals(0, req.get(org.fallow.abi.xen.XenLayouts.U32_UNALIGNED, VmEventRequest.VCPU_ID_OFFSET), "vcpu_id 0 (a hypercall's vCPU)");
                assertEquals(TmemCalls.OP_GFN, req.get(org.fallow.abi.xen.XenLayouts.U64_UNALIGNED, VmEventRequest.MEM_PAGING_GFN_OFFSET), "gfn");
                assertEquals(10, req.get(org.fallow.abi.xen.XenLayouts.U32_UNALIGNED, VmEventRequest.MEM_PAGING_P2MT_OFFSET), "p2mt: ram_paged");
                assertEquals(11, g.p2mType(TmemCalls.OP_GFN), "ram_paging_in");
                assertEquals(-XenErrno.EFAULT, g.hypercall(Hypercalls.TMEM_OP, Guest.gpa(TmemCalls.OP_GFN, 0)), "retried: still out");
                assertEquals(1, (int) PagingRingConformance.RING_IDX.getAcquire(ring, (long) PagingRingConformance.REQ_PROD),
                        "the paused vCPU is not paused (or requested) again");
            }
        }
    }
}
