package org.fallow.conformance.cases;

import org.fallow.abi.xen.VmEventConstants;
import org.fallow.abi.xen.VmEventRequest;
import org.fallow.abi.ring.SharedRing;
import org.fallow.abi.xen.P2mType;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.xen.DomctlConstants;
import org.fallow.abi.xen.XenDomctl;
import org.fallow.abi.xen.XenMemoryReservation;
import org.fallow.conformance.Guest;
import org.fallow.conformance.MappedFile;
import org.fallow.conformance.RawConnection;
import org.fallow.conformance.RawFrame;
import org.fallow.conformance.Toolstack;
import org.fallow.conformance.Wire;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.file.Path;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U32;
import static org.fallow.abi.xen.HvmOpConstants.HVM_PARAM_PAGING_RING_PFN;
import static org.fallow.abi.xen.MemoryOpConstants.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A raw pager on the vm_event ring (Xen 4.12 public/vm_event.h, io/ring.h, arch/x86/mm/p2m.c, PROTOCOL §3.4, §5): the ring is {@code dom<D>.vmring}, which
 * this case initialises by hand (SHARED_RING_INIT) and serves as the back end: it reads the 376-byte request at
 * {@code 64 + (idx & 7) * 376}, preps the page from its arena and answers with a response + EVTCHN_SEND.
 */
@DisplayName("paging through the vm_event ring with a raw pager (Xen 4.12 common/vm_event.c, arch/x86/mm/mem_paging.c, PROTOCOL §3.4)")
class PagingRingConformance extends CaseSupport {
    static final VarHandle RING_IDX = U32.varHandle();
    static final int REQ_PROD = SharedRing.REQ_PROD_OFFSET, REQ_EVENT = SharedRing.REQ_EVENT_OFFSET,
            RSP_PROD = SharedRing.RSP_PROD_OFFSET, RSP_EVENT = SharedRing.RSP_EVENT_OFFSET,
            RING_HEADER = SharedRing.HEADER_LENGTH, ENTRY = VmEventRequest.SIZE;
    private static final int VERSION = VmEventConstants.VM_EVENT_INTERFACE_VERSION,
            REASON_MEM_PAGING = VmEventConstants.VM_EVENT_REASON_MEM_PAGING,
            FLAG_VCPU_PAUSED = VmEventConstants.VM_EVENT_FLAG_VCPU_PAUSED, FLAG_FOREIGN = VmEventConstants.VM_EVENT_FLAG_FOREIGN;
    private static final int RAM_RW = P2mType.P2M_RAM_RW, RAM_PAGING_OUT = P2mType.P2M_RAM_PAGING_OUT,
            RAM_PAGED = P2mType.P2M_RAM_PAGED, RAM_PAGING_IN = P2mType.P2M_RAM_PAGING_IN;
    private static final int MEM_PAGING_DROP_PAGE = VmEventConstants.MEM_PAGING_DROP_PAGE,
            MEM_PAGING_EVICT_FAIL = VmEventConstants.MEM_PAGING_EVICT_FAIL;
    private static final long RING_GFN = 40, GFN = 10;

    static int entry(long idx) { return RING_HEADER + (int) (idx & 7) * ENTRY; }

    /** A vm_event_response_t (version, flags, reason, vcpu_id, u.mem_paging.gfn) at response index {@code idx}. */
    static void putResponse(MemorySegment ring, int idx, int version, int vcpu, long gfn) {
        MemorySegment e = ring.asSlice(entry(idx), ENTRY);
        e.fill((byte) 0);
        e.set(U32_UNALIGNED, VmEventRequest.VERSION_OFFSET, version);
        e.set(U32_UNALIGNED, VmEventRequest.FLAGS_OFFSET, FLAG_VCPU_PAUSED);
        e.set(U32_UNALIGNED, VmEventRequest.REASON_OFFSET, REASON_MEM_PAGING);
        e.set(U32_UNALIGNED, VmEventRequest.VCPU_ID_OFFSET, vcpu);
        e.set(U64_UNALIGNED, VmEventRequest.MEM_PAGING_GFN_OFFSET, gfn);
        RING_IDX.setRelease(ring, (long) RSP_PROD, idx + 1); // RING_PUSH_RESPONSES
    }

    static void notify(Toolstack ts, int port) throws Exception {
        ts.connection().send(Wire.EVTCHN_SEND, 900 + port, Wire.evtchnSend(port));
    }

    /** param 27 → RING_GFN, ENABLE; returns the port. */
    /** Paging enabled on the guest's domain, its dom&lt;D&gt;.vmring mapped and initialised (SHARED_RING_INIT), the guest connected. */
    record PagingBed(int port, MappedFile vmring) implements AutoCloseable {
        MemorySegment ring() { return vmring.segment(); }

        @Override public void close() { vmring.close(); }
    }

    static PagingBed pagingBed(Toolstack ts, Guest g) throws Exception {
        int d = g.domid();
        int port = enablePaging(ts, d);
        MappedFile vmring = MappedFile.open(ts.runDir(target()).resolve("dom" + d + ".vmring"));
        try {
            sharedRingInit(vmring.segment());
            g.connect(target(), Wire.PROFILE_412);
            return new PagingBed(port, vmring);
        } catch (Exception | Error e) {
            vmring.close();
            throw e;
        }
    }

    static int enablePaging(Toolstack ts, int d) throws Exception {
        assertEquals(1, ts.populate(d, RING_GFN, 1), "ring gfn");
        assertEquals(0, ts.setHvmParam(d, HVM_PARAM_PAGING_RING_PFN, RING_GFN), "HVM_PARAM_PAGING_RING_PFN");
        XenDomctl en = new XenDomctl();
        assertEquals(0, ts.vmEventPaging(d, DomctlConstants.XEN_VM_EVENT_ENABLE, en), "ENABLE");
        return (int) en.vmEventOp().port();
    }

    /** SHARED_RING_INIT on the mapped page (+ BACK_RING_INIT: rsp_prod_pvt = req_cons = 0, kept by the case). */
    static void sharedRingInit(MemorySegment ring) {
        ring.asSlice(16, 48).fill((byte) 0);
        RING_IDX.setRelease(ring, (long) REQ_PROD, 0);
        RING_IDX.setRelease(ring, (long) RSP_PROD, 0);
        RING_IDX.setRelease(ring, (long) REQ_EVENT, 1);
        RING_IDX.setRelease(ring, (long) RSP_EVENT, 1);
    }

    static RawFrame expectKick(Toolstack ts, int port) throws Exception {
        RawFrame kick = ts.connection().read();
        assertEquals(Wire.EVTCHN_SEND, kick.type(), () -> "pager notified: " + kick);
        assertEquals(0, kick.requestId(), "unsolicited");
        assertEquals(port, kick.evtchn().port(), "the ENABLE port");
        return kick;
    }

    @Test @DisplayName("nominated gfn touched: request p2mt 9 (ram_paging_out), EVICT_FAIL, evict -EBUSY, response → ram_rw with the frame kept; the guest's decrease_reservation of a paged gfn: DROP_PAGE request (flags 0, p2mt 0); the toolstack's: flags FOREIGN")
    void evictFailAndDropPage() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 64, 32)) {
            int d = g.domid();
            try (PagingBed bed = pagingBed(ts, g)) {
                int port = bed.port();
                MemorySegment ring = bed.ring();
                long touched = 12, dropped = 13;
                g.page(touched).fill((byte) 0x3C);
                assertEquals(0, ts.pagingOp(XENMEM_paging_op_nominate, d, touched, 0));
                RawConnection gc = g.connection();
                long faultId = g.nextRequestId();
                gc.send(Wire.MEM_FAULT, faultId, Wire.memFault(touched, 2, 0));
                expectKick(ts, port);
                assertEquals(1, (int) RING_IDX.getAcquire(ring, (long) REQ_PROD));
                MemorySegment req = ring.asSlice(entry(0), ENTRY);
                assertEquals(VERSION, req.get(U32_UNALIGNED, VmEventRequest.VERSION_OFFSET));
                assertEquals(FLAG_VCPU_PAUSED, req.get(U32_UNALIGNED, VmEventRequest.FLAGS_OFFSET));
                assertEquals(REASON_MEM_PAGING, req.get(U32_UNALIGNED, VmEventRequest.REASON_OFFSET));
                assertEquals(touched, req.get(U64_UNALIGNED, VmEventRequest.MEM_PAGING_GFN_OFFSET));
                assertEquals(RAM_PAGING_OUT, req.get(U32_UNALIGNED, VmEventRequest.MEM_PAGING_P2MT_OFFSET), "p2mt: ram_paging_out");
                assertEquals(MEM_PAGING_EVICT_FAIL, req.get(U32_UNALIGNED, VmEventRequest.MEM_PAGING_FLAGS_OFFSET), "u.mem_paging.flags EVICT_FAIL");
                assertEquals(RAM_PAGING_IN, g.p2mType(touched));
                assertEquals(-16 /* -EBUSY */, ts.pagingOp(XENMEM_paging_op_evict, d, touched, 0), "evict after the touch");
                RING_IDX.setRelease(ring, (long) REQ_EVENT, 2);
                putResponse(ring, 0, VERSION, 0, touched);
                notify(ts, port);
                RawFrame done = gc.read();
                assertEquals(Wire.FAULT_DONE, done.type(), done::toString);
                assertEquals(faultId, done.requestId());
                assertEquals(0, done.status());
                assertEquals(RAM_RW, g.p2mType(touched), "resume: paging_in with a frame → ram_rw");
                byte[] expect = new byte[Guest.PAGE];
                java.util.Arrays.fill(expect, (byte) 0x3C);
                assertArrayEquals(expect, g.page(touched).toArray(ValueLayout.JAVA_BYTE), "frame kept");

                assertEquals(0, ts.pagingOp(XENMEM_paging_op_nominate, d, dropped, 0));
                assertEquals(0, ts.pagingOp(XENMEM_paging_op_evict, d, dropped, 0));
                assertEquals(1, XenFidelityConformance.guestDecrease(g, dropped), "the guest's own decrease_reservation: one extent freed");
                expectKick(ts, port);
                assertEquals(2, (int) RING_IDX.getAcquire(ring, (long) REQ_PROD));
                MemorySegment drop = ring.asSlice(entry(1), ENTRY);
                assertEquals(VERSION, drop.get(U32_UNALIGNED, VmEventRequest.VERSION_OFFSET));
                assertEquals(0, drop.get(U32_UNALIGNED, VmEventRequest.FLAGS_OFFSET), "flags: not paused, not foreign (the guest freed its own gfn)");
                assertEquals(REASON_MEM_PAGING, drop.get(U32_UNALIGNED, VmEventRequest.REASON_OFFSET));
                assertEquals(0, drop.get(U32_UNALIGNED, VmEventRequest.VCPU_ID_OFFSET), "vcpu_id 0");
                assertEquals(dropped, drop.get(U64_UNALIGNED, VmEventRequest.MEM_PAGING_GFN_OFFSET));
                assertEquals(0, drop.get(U32_UNALIGNED, VmEventRequest.MEM_PAGING_P2MT_OFFSET), "p2mt 0 (Xen sets only reason, gfn, flags)");
                assertEquals(MEM_PAGING_DROP_PAGE, drop.get(U32_UNALIGNED, VmEventRequest.MEM_PAGING_FLAGS_OFFSET), "u.mem_paging.flags DROP_PAGE");
                assertEquals(1, g.p2mType(dropped), "the gfn is invalid");

                long foreignDrop = 14;
                assertEquals(0, ts.pagingOp(XENMEM_paging_op_nominate, d, foreignDrop, 0));
                assertEquals(0, ts.pagingOp(XENMEM_paging_op_evict, d, foreignDrop, 0));
                assertEquals(1, ts.reservation(XENMEM_decrease_reservation, d, foreignDrop, 1, 0), "the toolstack frees it");
                // placed before the HYPERCALL_RET (the kick it sends is skipped as unsolicited)
                assertEquals(3, (int) RING_IDX.getAcquire(ring, (long) REQ_PROD));
                MemorySegment fdrop = ring.asSlice(entry(2), ENTRY);
                assertEquals(FLAG_FOREIGN, fdrop.get(U32_UNALIGNED, VmEventRequest.FLAGS_OFFSET), "flags: FOREIGN (the producer is not the target)");
                assertEquals(foreignDrop, fdrop.get(U64_UNALIGNED, VmEventRequest.MEM_PAGING_GFN_OFFSET));
                assertEquals(0, fdrop.get(U32_UNALIGNED, VmEventRequest.MEM_PAGING_P2MT_OFFSET), "p2mt 0");
                assertEquals(MEM_PAGING_DROP_PAGE, fdrop.get(U32_UNALIGNED, VmEventRequest.MEM_PAGING_FLAGS_OFFSET));
                XenDomctl info = new XenDomctl();
                assertEquals(0, ts.domctl(DomctlConstants.XEN_DOMCTL_getdomaininfo, d, null, info));
                assertEquals(0, info.getdomaininfo().pagedPages(), "paged_pages");
            }
        }
    }

    @Test @DisplayName("evicted gfn touched: request v4/reason 3/VCPU_PAUSED/p2mt 10 in the ring; prep + response v4 → FAULT_DONE 0 with the page back; a v3 response is dropped")
    void pageInThroughTheRing() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 64, 32)) {
            int d = g.domid();
            int port = enablePaging(ts, d);

            Path runDir = ts.runDir(target());
            try (MappedFile vmring = MappedFile.open(runDir.resolve("dom" + d + ".vmring"));
                 MappedFile pagerView = MappedFile.open(runDir.resolve("dom" + d + ".mem"))) {
                MemorySegment ring = vmring.segment();
                assertEquals(4096, ring.byteSize(), "dom<D>.vmring is one page");
                sharedRingInit(ring);

                g.connect(target(), Wire.PROFILE_412);
                MemorySegment page = g.page(GFN);
                for (int i = 0; i < Guest.PAGE; i++) page.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7 + 3));
                assertEquals(0, ts.pagingOp(XENMEM_paging_op_nominate, d, GFN, 0), "nominate");
                byte[] evicted = pagerView.segment().asSlice(GFN * Guest.PAGE, Guest.PAGE).toArray(ValueLayout.JAVA_BYTE);
                assertEquals(0, ts.pagingOp(XENMEM_paging_op_evict, d, GFN, 0), "evict");
                assertEquals(RAM_PAGED, g.p2mType(GFN), "ram_paged");

                RawConnection gc = g.connection();
                long faultId = g.nextRequestId();
                gc.send(Wire.MEM_FAULT, faultId, Wire.memFault(GFN, 1, 0));

                RawFrame kick = ts.connection().read();
                assertEquals(Wire.EVTCHN_SEND, kick.type(), () -> "pager notified: " + kick);
                assertEquals(0, kick.requestId(), "unsolicited");
                assertEquals(8, kick.payload().length);
                assertEquals(port, kick.evtchn().port(), "the ENABLE port");

                assertEquals(1, (int) RING_IDX.getAcquire(ring, (long) REQ_PROD), "one request pushed");
                MemorySegment req = ring.asSlice(entry(0), ENTRY);
                assertEquals(VERSION, req.get(U32_UNALIGNED, 0), "request version");
                assertEquals(FLAG_VCPU_PAUSED, req.get(U32_UNALIGNED, VmEventRequest.FLAGS_OFFSET), "flags: VCPU_PAUSED (not FOREIGN)");
                assertEquals(REASON_MEM_PAGING, req.get(U32_UNALIGNED, VmEventRequest.REASON_OFFSET), "reason MEM_PAGING");
                assertEquals(0, req.get(U32_UNALIGNED, VmEventRequest.VCPU_ID_OFFSET), "vcpu_id of the MEM_FAULT");
                assertEquals(0, req.get(U16_UNALIGNED, VmEventRequest.ALTP2M_IDX_OFFSET), "altp2m_idx");
                assertEquals(GFN, req.get(U64_UNALIGNED, VmEventRequest.MEM_PAGING_GFN_OFFSET), "u.mem_paging.gfn");
                assertEquals(RAM_PAGED, req.get(U32_UNALIGNED, VmEventRequest.MEM_PAGING_P2MT_OFFSET), "u.mem_paging.p2mt: the old type, ram_paged");
                assertEquals(0, req.get(U32_UNALIGNED, VmEventRequest.MEM_PAGING_FLAGS_OFFSET), "u.mem_paging.flags");
                assertArrayEquals(new byte[ENTRY - 56], req.asSlice(56).toArray(ValueLayout.JAVA_BYTE), "data union zeroed");
                assertEquals(RAM_PAGING_IN, g.p2mType(GFN), "populate set ram_paging_in");
                RING_IDX.setRelease(ring, (long) REQ_EVENT, 2); // req_cons = 1

                Toolstack.Buf buf = ts.allocPage();
                buf.seg().copyFrom(MemorySegment.ofArray(evicted));
                assertEquals(0, ts.pagingOp(XENMEM_paging_op_prep, d, GFN, buf.handle()), "prep from the pager's arena");
                assertEquals(RAM_RW, g.p2mType(GFN), "prep alone makes the page ram_rw");

                // version 3: dropped, the vCPU stays paused
                putResponse(ring, 0, 3, 0, GFN);
                notify(ts, port);
                assertEquals(0, ts.vmEventPaging(d, DomctlConstants.XEN_VM_EVENT_RESUME, null), "RESUME (after the kick)");
                assertEquals(2, (int) RING_IDX.getAcquire(ring, (long) RSP_EVENT), "the v3 response was consumed (rsp_event = rsp_cons + 1)");
                long probe = g.nextRequestId();
                gc.send(Wire.HYPERCALL, probe, Wire.hypercall(63));
                RawFrame next = gc.read();
                assertEquals(Wire.HYPERCALL_RET, next.type(), () -> "no FAULT_DONE for a v3 response, got " + next);
                assertEquals(probe, next.requestId());

                putResponse(ring, 1, VERSION, 0, GFN);
                notify(ts, port);
                RawFrame done = gc.read();
                assertEquals(Wire.FAULT_DONE, done.type(), done::toString);
                assertEquals(faultId, done.requestId(), "FAULT_DONE request_id");
                assertEquals(0, done.status(), "FAULT_DONE 0: retry the access");
                assertEquals(RAM_RW, g.p2mType(GFN));
                assertArrayEquals(evicted, g.page(GFN).toArray(ValueLayout.JAVA_BYTE), "the page bytes are those evicted");
                XenDomctl info = new XenDomctl();
                assertEquals(0, ts.domctl(DomctlConstants.XEN_DOMCTL_getdomaininfo, d, null, info));
                assertEquals(0, info.getdomaininfo().pagedPages(), "paged_pages back to 0");
                // the getdomaininfo answer orders us after the kick's processing (same connection, one dispatch thread)
                assertEquals(3, (int) RING_IDX.getAcquire(ring, (long) RSP_EVENT), "rsp_event = rsp_cons + 1");
            }
            assertEquals(0, ts.vmEventPaging(d, DomctlConstants.XEN_VM_EVENT_DISABLE, null));
        }
    }

    /** Fills gfn {@code gfn} with a pattern, nominates and evicts it; returns the bytes evicted. */
    private static byte[] pageOut(Toolstack pager, Guest g, long gfn) throws Exception {
        MemorySegment page = g.page(gfn);
        for (int i = 0; i < Guest.PAGE; i++) page.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 5 + gfn));
        byte[] bytes = page.toArray(ValueLayout.JAVA_BYTE);
        assertEquals(0, pager.pagingOp(XENMEM_paging_op_nominate, g.domid(), gfn, 0), "nominate " + gfn);
        assertEquals(0, pager.pagingOp(XENMEM_paging_op_evict, g.domid(), gfn, 0), "evict " + gfn);
        return bytes;
    }

    /** Guest round trip: every frame the server owed this connection before it is read first (returns them). */
    private static java.util.List<RawFrame> drainGuest(Guest g) throws Exception {
        long probe = g.nextRequestId();
        g.connection().send(Wire.HYPERCALL, probe, Wire.hypercall(63));
        java.util.List<RawFrame> before = new java.util.ArrayList<>();
        for (;;) {
            RawFrame f = g.connection().read();
            if (f.type() == Wire.HYPERCALL_RET && f.requestId() == probe) return before;
            before.add(f);
        }
    }

    @Test @DisplayName("a full ring (8 slots): the 9th request waits in the hypervisor and is placed at index 8 once a response frees a slot")
    void fullRingQueuesRequests() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 64, 32)) {
            int d = g.domid();
            try (PagingBed bed = pagingBed(ts, g)) {
                int port = bed.port();
                MemorySegment ring = bed.ring();
                byte[][] out = new byte[9][];
                for (int i = 0; i < 9; i++) out[i] = pageOut(ts, g, 10 + i);
                long[] ids = new long[9];
                for (int i = 0; i < 9; i++) {
                    ids[i] = g.nextRequestId();
                    g.connection().send(Wire.MEM_FAULT, ids[i], Wire.memFault(10 + i, 1, 0));
                }
                for (int i = 0; i < 8; i++) expectKick(ts, port);
                assertEquals(java.util.List.of(), drainGuest(g), "no FAULT_DONE while paged out");
                assertEquals(8, (int) RING_IDX.getAcquire(ring, (long) REQ_PROD), "8 requests: the ring is full");
                for (int i = 0; i < 8; i++)
                    assertEquals(10 + i, ring.get(U64_UNALIGNED, entry(i) + 24), "request " + i + " in fault order");
                RING_IDX.setRelease(ring, (long) REQ_EVENT, 9);

                Toolstack.Buf buf = ts.allocPage();
                buf.seg().copyFrom(MemorySegment.ofArray(out[0]));
                assertEquals(0, ts.pagingOp(XENMEM_paging_op_prep, d, 10, buf.handle()));
                putResponse(ring, 0, VERSION, 0, 10);
                notify(ts, port);
                RawFrame done = g.connection().read();
                assertEquals(Wire.FAULT_DONE, done.type(), done::toString);
                assertEquals(ids[0], done.requestId(), "the first fault is answered");
                assertEquals(0, done.status());
                expectKick(ts, port);
                assertEquals(9, (int) RING_IDX.getAcquire(ring, (long) REQ_PROD), "the waiting request was placed");
                MemorySegment ninth = ring.asSlice(entry(8), ENTRY);
                assertEquals(64, entry(8), "index 8 is slot 0");
                assertEquals(VERSION, ninth.get(U32_UNALIGNED, VmEventRequest.VERSION_OFFSET));
                assertEquals(FLAG_VCPU_PAUSED, ninth.get(U32_UNALIGNED, VmEventRequest.FLAGS_OFFSET));
                assertEquals(18, ninth.get(U64_UNALIGNED, VmEventRequest.MEM_PAGING_GFN_OFFSET), "the 9th gfn");
                assertEquals(RAM_PAGED, ninth.get(U32_UNALIGNED, VmEventRequest.MEM_PAGING_P2MT_OFFSET));
                assertArrayEquals(out[0], g.page(10).toArray(ValueLayout.JAVA_BYTE));
            }
        }
    }

    @Test @DisplayName("a pager whose connection closed is replaced: ENABLE -EBUSY while it lives, then 0 from another connection, and the paused access is asked for again (Fallow: DEVIATIONS.md paging 'A killed pager can be replaced without losing pages')")
    void pagerReplaced() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 64, 32)) {
            int d = g.domid();
            Path vmringPath = ts.runDir(target()).resolve("dom" + d + ".vmring");
            byte[] evicted;
            long faultId;
            try (Toolstack first = Toolstack.connect(target())) {
                int port1 = enablePaging(first, d);
                try (MappedFile vmring = MappedFile.open(vmringPath)) {
                    sharedRingInit(vmring.segment());
                    g.connect(target(), Wire.PROFILE_412);
                    evicted = pageOut(first, g, GFN);
                    faultId = g.nextRequestId();
                    g.connection().send(Wire.MEM_FAULT, faultId, Wire.memFault(GFN, 1, 0));
                    expectKick(first, port1);
                    assertEquals(1, (int) RING_IDX.getAcquire(vmring.segment(), (long) REQ_PROD));
                }
                assertEquals(-16 /* -EBUSY */, ts.vmEventPaging(d, DomctlConstants.XEN_VM_EVENT_ENABLE, null), "the first pager is alive");
            }
            // the first pager's connection is closed: the server notices asynchronously, so ENABLE is retried
            XenDomctl en = new XenDomctl();
            long rc = -16;
            for (int i = 0; i < 500 && rc == -16; i++) {
                rc = ts.vmEventPaging(d, DomctlConstants.XEN_VM_EVENT_ENABLE, en);
                if (rc == -16) Thread.sleep(10);
            }
            assertEquals(0, rc, "ENABLE re-attaches the ring");
            int port = (int) en.vmEventOp().port();
            try (MappedFile vmring = MappedFile.open(vmringPath)) {
                MemorySegment ring = vmring.segment();
                sharedRingInit(ring);
                notify(ts, port); // life: the request for the paused access is placed again
                expectKick(ts, port);
                assertEquals(1, (int) RING_IDX.getAcquire(ring, (long) REQ_PROD), "asked again at index 0");
                MemorySegment req = ring.asSlice(entry(0), ENTRY);
                assertEquals(VERSION, req.get(U32_UNALIGNED, VmEventRequest.VERSION_OFFSET));
                assertEquals(FLAG_VCPU_PAUSED, req.get(U32_UNALIGNED, VmEventRequest.FLAGS_OFFSET));
                assertEquals(REASON_MEM_PAGING, req.get(U32_UNALIGNED, VmEventRequest.REASON_OFFSET));
                assertEquals(GFN, req.get(U64_UNALIGNED, VmEventRequest.MEM_PAGING_GFN_OFFSET));
                assertEquals(RAM_PAGING_IN, req.get(U32_UNALIGNED, VmEventRequest.MEM_PAGING_P2MT_OFFSET), "p2mt: the gfn is ram_paging_in by now");
                RING_IDX.setRelease(ring, (long) REQ_EVENT, 2);
                Toolstack.Buf buf = ts.allocPage();
                buf.seg().copyFrom(MemorySegment.ofArray(evicted));
                assertEquals(0, ts.pagingOp(XENMEM_paging_op_prep, d, GFN, buf.handle()));
                putResponse(ring, 0, VERSION, 0, GFN);
                notify(ts, port);
                RawFrame done = g.connection().read();
                assertEquals(Wire.FAULT_DONE, done.type(), done::toString);
                assertEquals(faultId, done.requestId());
                assertEquals(0, done.status());
                assertArrayEquals(evicted, g.page(GFN).toArray(ValueLayout.JAVA_BYTE), "no page lost");
            }
            assertEquals(0, ts.vmEventPaging(d, DomctlConstants.XEN_VM_EVENT_DISABLE, null));
        }
    }
}
