package org.fallow.conformance.cases;

import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.VmEventRequest;
import org.fallow.abi.xen.XenLayouts;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.xen.DomctlConstants;
import org.fallow.abi.xen.SysctlConstants;
import org.fallow.abi.xen.XenAddToPhysmapBatch;
import org.fallow.abi.xen.XenDomctl;
import org.fallow.abi.xen.XenDomctlGetvcpuinfo;
import org.fallow.abi.xen.XenSysctl;
import org.fallow.abi.xen.XenSysctlCpupoolOp;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

import static org.fallow.abi.xen.MemoryOpConstants.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The Xen 4.17 profile (HELLO profile 3, PROTOCOL §2.1, §3.4, §4.4) that Debian's real tools speak through the privcmd
 * bridge, and the five gaps the real tools found: (1) 4.17 interface versions, (2) the ring lives in the ring gfn's
 * frame the pager mapped before ENABLE, (3) prep with an unaligned buffer, (4) the response-version compatibility
 * switch (both behaviours), (5) the toolstack foreign-fault path (memory_op 23: -ENOENT per paged gfn + a page-in).
 */
@DisplayName("Xen 4.17 profile: interface versions, read-only sub-ops, v7 ring in the gfn frame, prep, compat, foreign faults")
class Xen417ProfileConformance extends CaseSupport {
    private static final VarHandle RING_IDX = XenLayouts.U32.varHandle();
    private static final int REQ_PROD = org.fallow.abi.ring.SharedRing.REQ_PROD_OFFSET,
            REQ_EVENT = org.fallow.abi.ring.SharedRing.REQ_EVENT_OFFSET, RSP_PROD = org.fallow.abi.ring.SharedRing.RSP_PROD_OFFSET,
            RSP_EVENT = org.fallow.abi.ring.SharedRing.RSP_EVENT_OFFSET, RING_HEADER = org.fallow.abi.ring.SharedRing.HEADER_LENGTH,
            ENTRY_V7 = VmEventRequest.SIZE_V7;
    private static final int V7 = org.fallow.abi.xen.VmEventConstants.VM_EVENT_INTERFACE_VERSION_4_17,
            REASON_MEM_PAGING = org.fallow.abi.xen.VmEventConstants.VM_EVENT_REASON_MEM_PAGING,
            FLAG_VCPU_PAUSED = org.fallow.abi.xen.VmEventConstants.VM_EVENT_FLAG_VCPU_PAUSED,
            FLAG_FOREIGN = org.fallow.abi.xen.VmEventConstants.VM_EVENT_FLAG_FOREIGN;
    private static final int RAM_RW = org.fallow.abi.xen.P2mType.P2M_RAM_RW, RAM_PAGED = org.fallow.abi.xen.P2mType.P2M_RAM_PAGED,
            RAM_PAGING_IN = org.fallow.abi.xen.P2mType.P2M_RAM_PAGING_IN;
    private static final int EACCES = XenErrno.EACCES, ENOSYS = XenErrno.ENOSYS, EINVAL = XenErrno.EINVAL,
            ENOENT = XenErrno.ENOENT, ENODATA = XenErrno.ENODATA;
    private static final long RING_GFN = 40;

    private static int entry(long idx) { return RING_HEADER + (int) (idx & 7) * ENTRY_V7; }

    private static long sysctl(Toolstack ts, int cmd, int version, java.util.function.Consumer<XenSysctl> fill, XenSysctl out) throws Exception {
        Toolstack.Buf b = ts.alloc(XenSysctl.SIZE);
        XenSysctl s = (out != null ? out : new XenSysctl()).wrap(b.seg(), 0);
        s.cmd(cmd).interfaceVersion(version);
        if (fill != null) fill.accept(s);
        return ts.hypercall(Hypercalls.SYSCTL, b.handle());
    }

    private static long rawDomctl(Toolstack ts, int cmd, int version, int domid) throws Exception {
        Toolstack.Buf b = ts.alloc(XenDomctl.SIZE);
        new XenDomctl().wrap(b.seg(), 0).cmd(cmd).interfaceVersion(version).domain(domid);
        return ts.hypercall(Hypercalls.DOMCTL, b.handle());
    }

    @Test @DisplayName("gap 1: a 4.17 connection's domctl/sysctl carry 0x15 (0x11/0x12 -EACCES) and a 4.12 one's the reverse; HELLO_ACK and XENVER_version say 4.17; tmem_op and sysctl 24 -ENOSYS")
    void interfaceVersionsFollowTheProfile() throws Exception {
        try (Toolstack t17 = Toolstack.connect(target(), Wire.PROFILE_417); Toolstack t12 = Toolstack.connect(target())) {
            assertEquals(0x00040011, t17.helloAck().helloAck().xenVersion(), "HELLO_ACK xen_version 4.17");
            assertEquals(0x0004000C, t12.helloAck().helloAck().xenVersion(), "HELLO_ACK xen_version 4.12");
            assertEquals(0x00040011, t17.hypercall(Hypercalls.XEN_VERSION, 0, 0), "XENVER_version 4.17");
            assertEquals(0x0004000C, t12.hypercall(Hypercalls.XEN_VERSION, 0, 0), "XENVER_version 4.12");
            int d;
            try (Guest g = Guest.create(t17, 16, 4)) {
                d = g.domid();
                assertEquals(0, rawDomctl(t17, DomctlConstants.XEN_DOMCTL_getdomaininfo, 0x15, d));
                assertEquals(-EACCES, rawDomctl(t17, DomctlConstants.XEN_DOMCTL_getdomaininfo, 0x11, d));
                assertEquals(-EACCES, rawDomctl(t12, DomctlConstants.XEN_DOMCTL_getdomaininfo, 0x15, d));
                assertEquals(0, rawDomctl(t12, DomctlConstants.XEN_DOMCTL_getdomaininfo, 0x11, d));
                assertEquals(0, sysctl(t17, SysctlConstants.XEN_SYSCTL_physinfo, 0x15, null, null));
                assertEquals(-EACCES, sysctl(t17, SysctlConstants.XEN_SYSCTL_physinfo, 0x12, null, null));
                assertEquals(-EACCES, sysctl(t12, SysctlConstants.XEN_SYSCTL_physinfo, 0x15, null, null));
                assertEquals(-ENOSYS, sysctl(t17, SysctlConstants.XEN_SYSCTL_tmem_op, 0x15, null, null), "no tmem sysctl in 4.17");
                Toolstack.Buf op = t17.alloc(56);
                assertEquals(-ENOSYS, t17.hypercall(Hypercalls.TMEM_OP, op.handle()), "tmem left Xen in 4.13");
                assertEquals(0, t17.destroy(d));
            }
        }
    }

    @Test @DisplayName("HELLO flags: bit 0 accepted in any profile, an unknown bit refused with -EINVAL and the connection closed")
    void helloFlags() throws Exception {
        try (Toolstack ok = Toolstack.connect(target(), Wire.PROFILE_412, Wire.FLAG_VM_EVENT_RESPONSE_COMPAT)) {
            assertEquals(0, ok.helloAck().status());
        }
        try (RawConnection c = open()) {
            c.send(Wire.HELLO, 1, Wire.hello(Wire.ROLE_GUEST, Wire.PROFILE_417, 0x8000, 0, new byte[16], 0, 0, null));
            RawFrame ack = c.read();
            assertEquals(Wire.HELLO_ACK, ack.type());
            assertEquals(-EINVAL, ack.status());
            assertTrue(c.awaitClosed());
        }
    }

    @Test @DisplayName("read-only sub-ops: xen_version strings/pagesize/build_id, sched_id credit2, cpupool 0 INFO (pool 1 -ENOENT), getvcpuinfo (vcpu past max -EINVAL), sharing pages 0")
    void readOnlySubops() throws Exception {
        try (Toolstack ts = Toolstack.connect(target(), Wire.PROFILE_417); Guest g = Guest.create(ts, 16, 4)) {
            Toolstack.Buf s = ts.alloc(1024);
            assertEquals(0, ts.hypercall(Hypercalls.XEN_VERSION, 1, s.handle()), "XENVER_extraversion");
            assertEquals("-fallow", cString(s.seg(), 16));
            assertEquals(0, ts.hypercall(Hypercalls.XEN_VERSION, 3, s.handle()), "XENVER_capabilities");
            assertTrue(cString(s.seg(), 1024).contains("hvm-3.0-x86_64"), cString(s.seg(), 1024));
            assertEquals(4096, ts.hypercall(Hypercalls.XEN_VERSION, 7, 0), "XENVER_pagesize");
            assertEquals(-ENODATA, ts.hypercall(Hypercalls.XEN_VERSION, 10, s.handle()), "no build id");
            assertEquals(-ENOSYS, ts.hypercall(Hypercalls.XEN_VERSION, 99, s.handle()));

            XenSysctl out = new XenSysctl();
            assertEquals(0, sysctl(ts, 4 /* sched_id */, 0x15, null, out));
            assertEquals(6, out.segment().get(XenLayouts.U32_UNALIGNED, XenSysctl.U_OFFSET), "XEN_SCHEDULER_CREDIT2");

            Toolstack.Buf map = ts.alloc(8);
            map.seg().fill((byte) 0xFF);
            assertEquals(0, sysctl(ts, 18 /* cpupool_op */, 0x15, x -> {
                MemorySegment u = x.segment().asSlice(XenSysctl.U_OFFSET, XenSysctlCpupoolOp.SIZE);
                new XenSysctlCpupoolOp().wrap(u, 0).op(XenSysctlCpupoolOp.OP_INFO).cpupoolId(0).cpumapNrBits(64);
                u.set(XenLayouts.U64_UNALIGNED, XenSysctlCpupoolOp.CPUMAP_BITMAP_OFFSET, map.handle());
            }, out));
            XenSysctlCpupoolOp info = new XenSysctlCpupoolOp().wrap(out.segment(), XenSysctl.U_OFFSET);
            assertEquals(0, info.cpupoolId());
            assertEquals(6, info.schedId());
            assertTrue(info.nDom() >= 2, "dom0 and our guest: " + info.nDom());
            assertEquals(1, map.seg().get(ValueLayout.JAVA_BYTE, 0), "cpu 0 in the pool");
            assertEquals(0, map.seg().get(ValueLayout.JAVA_BYTE, 7), "the rest of the bitmap cleared");
            assertEquals(-ENOENT, sysctl(ts, 18, 0x15, x -> new XenSysctlCpupoolOp()
                    .wrap(x.segment(), XenSysctl.U_OFFSET).op(XenSysctlCpupoolOp.OP_INFO).cpupoolId(1), null));

            XenDomctl dc = new XenDomctl();
            assertEquals(0, ts.domctl(14 /* getvcpuinfo */, g.domid(), x -> {}, dc));
            XenDomctlGetvcpuinfo vi = new XenDomctlGetvcpuinfo().wrap(dc.segment(), XenDomctl.U_OFFSET);
            assertEquals(1, vi.online());
            assertEquals(-EINVAL, ts.domctl(14, g.domid(), x -> x.segment().set(XenLayouts.U32_UNALIGNED, XenDomctl.U_OFFSET, 1), null));
            assertEquals(0, ts.hypercall(Hypercalls.MEMORY_OP, 18, 0), "XENMEM_get_sharing_freed_pages");
            assertEquals(0, ts.hypercall(Hypercalls.MEMORY_OP, 19, 0), "XENMEM_get_sharing_shared_pages");
            assertEquals(0, ts.destroy(g.domid()));
        }
    }

    /** A paged guest under a 4.17 pager: ring gfn RING_GFN populated and mapped before ENABLE, as xenpaging does. */
    private record Paged(Toolstack ts, Guest g, int port, MemorySegment ring) {}

    private static Paged pagedGuest(Toolstack ts, Guest g) throws Exception {
        int d = g.domid();
        assertEquals(1, ts.populate(d, RING_GFN, 1), "ring gfn");
        assertEquals(0, ts.setHvmParam(d, 27, RING_GFN), "HVM_PARAM_PAGING_RING_PFN");
        g.connect(target(), Wire.PROFILE_412);
        MemorySegment ring = g.page(RING_GFN); // the pager's mapping of the ring gfn, made before ENABLE
        XenDomctl en = new XenDomctl();
        assertEquals(0, ts.vmEventPaging(d, DomctlConstants.XEN_VM_EVENT_ENABLE, en), "ENABLE");
        int port = (int) en.vmEventOp().port();
        // SHARED_RING_INIT through that mapping, after ENABLE
        ring.asSlice(16, 48).fill((byte) 0);
        RING_IDX.setRelease(ring, (long) REQ_PROD, 0);
        RING_IDX.setRelease(ring, (long) RSP_PROD, 0);
        RING_IDX.setRelease(ring, (long) REQ_EVENT, 1);
        RING_IDX.setRelease(ring, (long) RSP_EVENT, 1);
        // the pager gives the ring gfn back (decrease_reservation): the ring page must survive
        assertEquals(1, ts.reservation(XENMEM_decrease_reservation, d, RING_GFN, 1, 0));
        return new Paged(ts, g, port, ring);
    }

    private static void evict(Toolstack ts, int d, long gfn) throws Exception {
        assertEquals(0, ts.pagingOp(XENMEM_paging_op_nominate, d, gfn, 0));
        assertEquals(0, ts.pagingOp(XENMEM_paging_op_evict, d, gfn, 0));
    }

    private static void notify(Toolstack ts, int port) throws Exception {
        ts.connection().send(Wire.EVTCHN_SEND, 900 + port, Wire.evtchnSend(port));
    }

    private static RawFrame expectKick(Toolstack ts, int port) throws Exception {
        RawFrame kick = ts.connection().read();
        assertEquals(Wire.EVTCHN_SEND, kick.type(), () -> "pager notified: " + kick);
        assertEquals(port, kick.evtchn().port());
        return kick;
    }

    private static void putResponse(MemorySegment ring, int idx, int version, int flags, long gfn) {
        MemorySegment e = ring.asSlice(entry(idx), ENTRY_V7);
        e.fill((byte) 0);
        e.set(XenLayouts.U32_UNALIGNED, VmEventRequest.VERSION_OFFSET, version);
        e.set(XenLayouts.U32_UNALIGNED, VmEventRequest.FLAGS_OFFSET, flags);
        e.set(XenLayouts.U32_UNALIGNED, VmEventRequest.REASON_OFFSET, REASON_MEM_PAGING);
        e.set(XenLayouts.U64_UNALIGNED, VmEventRequest.MEM_PAGING_GFN_OFFSET, gfn);
        RING_IDX.setRelease(ring, (long) RSP_PROD, idx + 1);
    }

    @Test @DisplayName("gap 2 + v7: a 4.17 ring is the ring gfn's frame the pager mapped before ENABLE (no dom<D>.vmring), kept after the pager's decrease_reservation; requests are 400-byte version-7 entries")
    void ringLivesInTheGfnFrameWithV7Entries() throws Exception {
        try (Toolstack ts = Toolstack.connect(target(), Wire.PROFILE_417, Wire.FLAG_VM_EVENT_RESPONSE_COMPAT);
             Guest g = Guest.create(ts, 64, 32)) {
            Paged p = pagedGuest(ts, g);
            int d = g.domid();
            assertFalse(Files.exists(ts.runDir(target()).resolve("dom" + d + ".vmring")), "no ring file for a 4.17 ring");
            long gfn = 12;
            g.page(gfn).fill((byte) 0x5A);
            evict(ts, d, gfn);
            RawConnection gc = g.connection();
            long faultId = g.nextRequestId();
            gc.send(Wire.MEM_FAULT, faultId, Wire.memFault(gfn, 1, 0));
            expectKick(ts, p.port());
            assertEquals(1, (int) RING_IDX.getAcquire(p.ring(), (long) REQ_PROD), "the request is in the pager's mapping");
            MemorySegment req = p.ring().asSlice(entry(0), ENTRY_V7);
            assertEquals(V7, req.get(XenLayouts.U32_UNALIGNED, 0), "vm_event interface version 7");
            assertEquals(FLAG_VCPU_PAUSED, req.get(XenLayouts.U32_UNALIGNED, VmEventRequest.FLAGS_OFFSET));
            assertEquals(REASON_MEM_PAGING, req.get(XenLayouts.U32_UNALIGNED, VmEventRequest.REASON_OFFSET));
            assertEquals(gfn, req.get(XenLayouts.U64_UNALIGNED, VmEventRequest.MEM_PAGING_GFN_OFFSET));
            assertEquals(RAM_PAGED, req.get(XenLayouts.U32_UNALIGNED, VmEventRequest.MEM_PAGING_P2MT_OFFSET));
            // page it in with a v7 response and check the bytes
            Toolstack.Buf page = ts.allocPage();
            page.seg().fill((byte) 0x5A);
            assertEquals(0, ts.pagingOp(XENMEM_paging_op_prep, d, gfn, page.handle()));
            putResponse(p.ring(), 0, V7, FLAG_VCPU_PAUSED, gfn);
            notify(ts, p.port());
            RawFrame done = gc.read();
            assertEquals(Wire.FAULT_DONE, done.type(), done::toString);
            assertEquals(faultId, done.requestId());
            assertEquals(0, done.status());
            assertEquals((byte) 0x5A, g.page(gfn).get(ValueLayout.JAVA_BYTE, 4095));
            assertEquals(0, ts.vmEventPaging(d, DomctlConstants.XEN_VM_EVENT_DISABLE, null));
            assertEquals(0, ts.destroy(d));
        }
    }

    @Test @DisplayName("gap 3: prep with a buffer that is not page-aligned: 0 and the bytes from that address for 4.17; -EINVAL for 4.12")
    void prepTakesAnUnalignedBufferIn417Only() throws Exception {
        try (Toolstack ts = Toolstack.connect(target(), Wire.PROFILE_417, Wire.FLAG_VM_EVENT_RESPONSE_COMPAT);
             Toolstack t12 = Toolstack.connect(target());
             Guest g = Guest.create(ts, 64, 32)) {
            pagedGuest(ts, g);
            int d = g.domid();
            evict(ts, d, 20);
            evict(ts, d, 21);
            Toolstack.Buf raw = ts.alloc(4096 + 64);
            long unaligned = raw.handle() + 24;
            assertNotEquals(0, unaligned & 4095);
            for (int i = 0; i < 4096; i++) raw.seg().set(ValueLayout.JAVA_BYTE, 24 + i, (byte) (i * 7));
            assertEquals(0, ts.pagingOp(XENMEM_paging_op_prep, d, 20, unaligned), "4.13+: any buffer");
            assertEquals(RAM_RW, g.p2mType(20));
            for (int i : new int[] {0, 1, 4000, 4095})
                assertEquals((byte) (i * 7), g.page(20).get(ValueLayout.JAVA_BYTE, i), "byte " + i);
            Toolstack.Buf raw12 = t12.alloc(4096 + 64);
            long unaligned12 = raw12.handle() + 24;
            assertEquals(-EINVAL, t12.pagingOp(XENMEM_paging_op_prep, d, 21, unaligned12), "4.12: page-aligned only");
            assertEquals(RAM_PAGED, g.p2mType(21));
            assertEquals(0, ts.destroy(d));
        }
    }

    @Test @DisplayName("gap 4: response-version compatibility: with HELLO flag bit 0 a response with version 1 releases the vCPU; without it the response is dropped (as Xen) until a version-7 one comes")
    void responseVersionCompatSwitchBothWays() throws Exception {
        for (boolean compat : new boolean[] {true, false}) {
            try (Toolstack ts = Toolstack.connect(target(), Wire.PROFILE_417, compat ? Wire.FLAG_VM_EVENT_RESPONSE_COMPAT : 0);
                 Guest g = Guest.create(ts, 64, 32)) {
                Paged p = pagedGuest(ts, g);
                int d = g.domid();
                long gfn = 14;
                evict(ts, d, gfn);
                RawConnection gc = g.connection();
                long faultId = g.nextRequestId();
                gc.send(Wire.MEM_FAULT, faultId, Wire.memFault(gfn, 1, 0));
                expectKick(ts, p.port());
                Toolstack.Buf page = ts.allocPage();
                assertEquals(0, ts.pagingOp(XENMEM_paging_op_prep, d, gfn, page.handle()));
                RING_IDX.setRelease(p.ring(), (long) REQ_EVENT, 2);
                putResponse(p.ring(), 0, 1 /* what real xenpaging leaves there */, FLAG_VCPU_PAUSED, gfn);
                notify(ts, p.port());
                // a hypercall round trip: the kick was handled before its reply (one dispatch thread, in order)
                assertEquals(0x00040011, ts.hypercall(Hypercalls.XEN_VERSION, 0, 0));
                if (compat) {
                    RawFrame done = gc.read();
                    assertEquals(Wire.FAULT_DONE, done.type(), done::toString);
                    assertEquals(faultId, done.requestId());
                    assertEquals(0, done.status());
                } else {
                    assertEquals(2, (int) RING_IDX.getAcquire(p.ring(), (long) RSP_EVENT), "the response was consumed");
                    // the guest's next request is answered before any FAULT_DONE: the response was dropped (Xen's
                    // behaviour) and the vCPU stays paused
                    long probe = g.nextRequestId();
                    gc.send(Wire.HYPERCALL, probe, Wire.hypercall(Hypercalls.XEN_VERSION, 0, 0));
                    RawFrame next = gc.read();
                    assertEquals(Wire.HYPERCALL_RET, next.type(), () -> "strict ring: no FAULT_DONE, got " + next);
                    assertEquals(probe, next.requestId());
                    putResponse(p.ring(), 1, V7, FLAG_VCPU_PAUSED, gfn);
                    notify(ts, p.port());
                    RawFrame done = gc.read();
                    assertEquals(Wire.FAULT_DONE, done.type(), done::toString);
                    assertEquals(faultId, done.requestId());
                }
                assertEquals(0, ts.destroy(d));
            }
        }
    }

    @Test @DisplayName("gap 5: toolstack foreign mapping (memory_op 23, gmfn_foreign): RAM 0, paged -ENOENT + a FOREIGN page-in request (no vCPU paused), out of range -EINVAL; after prep + response the gfn maps (0)")
    void foreignFaultStartsAPageIn() throws Exception {
        try (Toolstack ts = Toolstack.connect(target(), Wire.PROFILE_417, Wire.FLAG_VM_EVENT_RESPONSE_COMPAT);
             Guest g = Guest.create(ts, 64, 32)) {
            Paged p = pagedGuest(ts, g);
            int d = g.domid();
            long gfn = 16;
            g.page(gfn).fill((byte) 0x77);
            evict(ts, d, gfn);
            long[] gfns = {3, gfn, 1L << 40};
            int[] errs = mapBatch(ts, d, gfns);
            assertArrayEquals(new int[] {0, -ENOENT, -EINVAL}, errs);
            // (the EVTCHN_SEND kick came before the HYPERCALL_RET and was passed over by Toolstack.call)
            assertEquals(1, (int) RING_IDX.getAcquire(p.ring(), (long) REQ_PROD), "one page-in request placed");
            MemorySegment req = p.ring().asSlice(entry(0), ENTRY_V7);
            assertEquals(V7, req.get(XenLayouts.U32_UNALIGNED, VmEventRequest.VERSION_OFFSET));
            assertEquals(FLAG_FOREIGN, req.get(XenLayouts.U32_UNALIGNED, VmEventRequest.FLAGS_OFFSET), "foreign: no vCPU paused");
            assertEquals(gfn, req.get(XenLayouts.U64_UNALIGNED, VmEventRequest.MEM_PAGING_GFN_OFFSET));
            assertEquals(RAM_PAGED, req.get(XenLayouts.U32_UNALIGNED, VmEventRequest.MEM_PAGING_P2MT_OFFSET));
            assertEquals(RAM_PAGING_IN, g.p2mType(gfn));
            assertArrayEquals(new int[] {-ENOENT}, mapBatch(ts, d, new long[] {gfn}), "still paging in: retry");
            Toolstack.Buf page = ts.allocPage();
            page.seg().fill((byte) 0x77);
            assertEquals(0, ts.pagingOp(XENMEM_paging_op_prep, d, gfn, page.handle()));
            assertArrayEquals(new int[] {0}, mapBatch(ts, d, new long[] {gfn}), "frame back: mappable");
            putResponse(p.ring(), 0, V7, 0, gfn);
            notify(ts, p.port());
            assertEquals(0x00040011, ts.hypercall(Hypercalls.XEN_VERSION, 0, 0));
            assertEquals(RAM_RW, g.p2mType(gfn));
            assertEquals((byte) 0x77, g.page(gfn).get(ValueLayout.JAVA_BYTE, 100));
            assertEquals(0, ts.destroy(d));
        }
    }

    private static int[] mapBatch(Toolstack ts, int d, long[] gfns) throws Exception {
        int n = gfns.length;
        Toolstack.Buf idxs = ts.alloc(8L * n), gpfns = ts.alloc(8L * n), errs = ts.alloc(4L * n), hdr = ts.alloc(XenAddToPhysmapBatch.SIZE);
        for (int i = 0; i < n; i++) idxs.seg().set(XenLayouts.U64_UNALIGNED, 8L * i, gfns[i]);
        new XenAddToPhysmapBatch().wrap(hdr.seg(), 0).domid(Hypercalls.DOMID_SELF).space(XenAddToPhysmapBatch.XENMAPSPACE_gmfn_foreign)
                .count(n).foreignDomid(d).idxs(idxs.handle()).gpfns(gpfns.handle()).errs(errs.handle());
        assertEquals(0, ts.hypercall(Hypercalls.MEMORY_OP, XenAddToPhysmapBatch.XENMEM_add_to_physmap_batch, hdr.handle()));
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = errs.seg().get(XenLayouts.U32_UNALIGNED, 4L * i);
        return out;
    }

    private static String cString(MemorySegment s, int max) {
        byte[] b = s.asSlice(0, max).toArray(ValueLayout.JAVA_BYTE);
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.US_ASCII);
    }
}
