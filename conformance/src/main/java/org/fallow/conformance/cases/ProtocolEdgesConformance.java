package org.fallow.conformance.cases;

import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.DomctlConstants;
import org.fallow.abi.xen.TmemConstants;
import org.fallow.abi.xen.TmemOp;
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

import static org.fallow.abi.xen.MemoryOpConstants.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The points PROTOCOL.md states for edge cases (issue 15): tmem_op from the toolstack in Xen's check order, a
 * toolstack without an arena, BYE with a payload, whole-list vs per-extent faults, several guest connections per
 * domain, calls after the domain is destroyed (also when its domid is reused), DOMID_SELF from the toolstack, the
 * vm_event interface version.
 */
@DisplayName("protocol edge cases (PROTOCOL §1.2, §2, §4, §5)")
class ProtocolEdgesConformance extends CaseSupport {

    @Test @DisplayName("tmem_op from the toolstack: bad handle -EFAULT, cmd 0 -EOPNOTSUPP, then -ENOMEM (no dom0 client), as do_tmem_op's order")
    void tmemOpFromTheToolstack() throws Exception {
        try (Toolstack ts = Toolstack.connect(target())) {
            assertEquals(-XenErrno.EFAULT, ts.hypercall(Hypercalls.TMEM_OP, 0x1000), "copy-in fault first");
            Toolstack.Buf b = ts.alloc(TmemOp.SIZE);
            new TmemOp().wrap(b.seg(), 0).clear().cmd(0);
            assertEquals(-XenErrno.EOPNOTSUPP, ts.hypercall(Hypercalls.TMEM_OP, b.handle()), "TMEM_CONTROL (0)");
            new TmemOp().wrap(b.seg(), 0).clear().cmd(TmemConstants.TMEM_NEW_POOL)
                    .creatFlags(TmemConstants.poolFlags(false, false, TmemConstants.TMEM_SPEC_VERSION));
            assertEquals(-XenErrno.ENOMEM, ts.hypercall(Hypercalls.TMEM_OP, b.handle()), "NEW_POOL: client_create(dom0) fails");
        }
    }

    @Test @DisplayName("toolstack HELLO without an arena: accepted; every handle is bad (-EFAULT, reservation ops 0 extents)")
    void toolstackWithoutAnArena() throws Exception {
        try (RawConnection c = openToolstack()) {
            assertEquals(-XenErrno.EFAULT, hypercall(c, 2, Hypercalls.MEMORY_OP, XENMEM_current_reservation, 0x7f0000000000L));
            assertEquals(0, hypercall(c, 3, Hypercalls.MEMORY_OP, XENMEM_populate_physmap, 0x7f0000000000L), "0 extents");
            assertEquals(-XenErrno.EFAULT, hypercall(c, 4, Hypercalls.DOMCTL, 0x7f0000000000L));
            assertEquals(-XenErrno.EFAULT, hypercall(c, 5, Hypercalls.TMEM_OP, 0));
        }
    }

    @Test @DisplayName("BYE with a payload is malformed: ERROR -EINVAL with its request_id, the connection stays open")
    void byeWithAPayload() throws Exception {
        try (RawConnection c = openToolstack()) {
            c.send(Wire.BYE, 7, new byte[] {1, 2, 3, 4});
            expectError(c, -XenErrno.EINVAL, 7);
            assertEquals(-XenErrno.ENOSYS, hypercall(c, 8, 99), "still served");
            c.send(Wire.BYE, 9, new byte[0]);
            assertTrue(c.awaitClosed(), "an empty BYE closes");
        }
    }

    @Test @DisplayName("extent lists: the toolstack's whole list must be in its arena (else 0 extents); a guest's list faults per extent (partial progress)")
    void wholeListVsPerExtentFaults() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 64, 8)) {
            int d = g.domid();
            // toolstack: 2 extents whose list straddles the end of the arena -> nothing done
            Toolstack.Buf r = ts.alloc(XenMemoryReservation.SIZE);
            long listEnd = Toolstack.ARENA_BASE + Toolstack.ARENA_LEN - 8;
            new XenMemoryReservation().wrap(r.seg(), 0).extentStart(listEnd).nrExtents(2).extentOrder(0).memFlags(0).domid(d);
            long tot = XenFidelityConformance.totPages(ts, d);
            assertEquals(0, ts.hypercall(Hypercalls.MEMORY_OP, XENMEM_populate_physmap, r.handle()), "whole list checked first");
            assertEquals(tot, XenFidelityConformance.totPages(ts, d));
            // guest: a 3-entry list at the end of gfn 7 (RAM) whose third entry lies in gfn 8 (not populated)
            g.connect(target(), Wire.PROFILE_412);
            MemorySegment list = g.page(7);
            list.set(org.fallow.abi.xen.XenLayouts.U64_UNALIGNED, 4096 - 16, 5);
            list.set(org.fallow.abi.xen.XenLayouts.U64_UNALIGNED, 4096 - 8, 4);
            MemorySegment res = g.page(6);
            res.fill((byte) 0);
            new XenMemoryReservation().wrap(res, 0).extentStart(Guest.gpa(7, 4096 - 16)).nrExtents(3).extentOrder(0)
                    .memFlags(0).domid(Hypercalls.DOMID_SELF);
            assertEquals(2, g.hypercall(Hypercalls.MEMORY_OP, XENMEM_decrease_reservation, Guest.gpa(6, 0)),
                    "two entries read from gfn 7, the third lies in gfn 8 (invalid): stops there");
            assertEquals(1, g.p2mType(5), "gfn 5 freed");
            assertEquals(1, g.p2mType(4), "gfn 4 freed");
        }
    }

    @Test @DisplayName("several guest connections per domain: each is served and each gets DOMAIN_EVENT destroyed")
    void severalGuestConnections() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 16, 4).connect(target(), Wire.PROFILE_412);
             RawConnection second = RawConnection.open(target().socket())) {
            second.send(Wire.HELLO, 1, Wire.hello(Wire.ROLE_GUEST, Wire.PROFILE_412, g.domid(), g.handle(), 0, 0, null));
            RawFrame ack = second.read();
            assertEquals(0, ack.status(), ack::toString);
            g.page(1).set(org.fallow.abi.xen.XenLayouts.U16_UNALIGNED, 0, (short) Hypercalls.DOMID_SELF);
            assertEquals(4, hypercall(second, 2, Hypercalls.MEMORY_OP, XENMEM_current_reservation, Guest.gpa(1, 0)));
            assertEquals(4, g.hypercall(Hypercalls.MEMORY_OP, XENMEM_current_reservation, Guest.gpa(1, 0)));
            assertEquals(0, ts.destroy(g.domid()));
            for (RawConnection c : new RawConnection[] {g.connection(), second}) {
                RawFrame ev = c.read();
                assertEquals(Wire.DOMAIN_EVENT, ev.type(), ev::toString);
                assertEquals(2, ev.domainEvent().event(), "destroyed");
            }
        }
    }

    @Test @DisplayName("after destroydomain the guest connection stays open: hypercalls -ESRCH, MEM_FAULT -ESRCH, XENSTORE XS_ERROR EACCES, also when a new domain reuses the domid")
    void callsAfterTheDomainIsDestroyed() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 16, 4).connect(target(), Wire.PROFILE_412)) {
            int d = g.domid();
            assertEquals(0, ts.destroy(d));
            RawConnection c = g.connection();
            assertEquals(Wire.DOMAIN_EVENT, c.read().type());
            assertEquals(-XenErrno.ESRCH, g.hypercall(Hypercalls.MEMORY_OP, XENMEM_current_reservation, Guest.gpa(1, 0)));
            assertEquals(-XenErrno.ESRCH, g.hypercall(99), "even an unknown hypercall");
            // a new domain with the same domid (createdomain with domain = d asks for that id)
            XenDomctl cd = new XenDomctl();
            byte[] h = new byte[16];
            long rc = ts.domctl(DomctlConstants.XEN_DOMCTL_createdomain, d, x -> x.createdomain()
                    .flags(DomctlConstants.XEN_DOMCTL_CDF_hvm | DomctlConstants.XEN_DOMCTL_CDF_hap).maxVcpus(1), cd);
            assertEquals(0, rc);
            assertEquals(d, cd.domain(), "the domid is reused");
            try {
                assertEquals(-XenErrno.ESRCH, g.hypercall(Hypercalls.MEMORY_OP, XENMEM_current_reservation, Guest.gpa(1, 0)),
                        "the old connection does not act for the new domain");
                long id = g.nextRequestId();
                c.send(Wire.MEM_FAULT, id, Wire.memFault(1, 1, 0));
                RawFrame done = c.read();
                assertEquals(Wire.FAULT_DONE, done.type(), done::toString);
                assertEquals(-XenErrno.ESRCH, done.status());
                c.send(Wire.XENSTORE, 77, XenstoreConformance.msg(11, 5, 0, "memory/target\0" + "1"));
                RawFrame xs = c.read();
                assertEquals(Wire.XENSTORE, xs.type(), xs::toString);
                assertEquals(77, xs.requestId());
                assertEquals(16, xs.xs().type(), "XS_ERROR");
                assertEquals(5, xs.xs().reqId(), "req_id");
                assertEquals("EACCES\0", new String(xs.xs().body(), java.nio.charset.StandardCharsets.UTF_8));
            } finally {
                ts.destroy(d);
            }
        }
    }

    @Test @DisplayName("DOMID_SELF from the toolstack (dom0 has no domain): reservation ops 0 extents, current_reservation / domctl / paging_op -ESRCH")
    void domidSelfFromTheToolstack() throws Exception {
        try (Toolstack ts = Toolstack.connect(target())) {
            assertEquals(0, ts.populate(Hypercalls.DOMID_SELF, 0, 1));
            Toolstack.Buf dom = ts.alloc(2);
            dom.seg().set(org.fallow.abi.xen.XenLayouts.U16_UNALIGNED, 0, (short) Hypercalls.DOMID_SELF);
            assertEquals(-XenErrno.ESRCH, ts.hypercall(Hypercalls.MEMORY_OP, XENMEM_current_reservation, dom.handle()));
            assertEquals(-XenErrno.ESRCH, ts.domctl(DomctlConstants.XEN_DOMCTL_max_mem, Hypercalls.DOMID_SELF, x -> x.maxMem().maxMemkb(4), null));
            assertEquals(-XenErrno.ESRCH, ts.pagingOp(XENMEM_paging_op_nominate, Hypercalls.DOMID_SELF, 1, 0));
        }
    }

    @Test @DisplayName("vm_event interface version: not in HELLO_ACK; XEN_VM_EVENT_GET_VERSION (op 3) -ENOSYS; every request carries it")
    void vmEventVersion() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 16, 4)) {
            long rc = ts.domctl(DomctlConstants.XEN_DOMCTL_vm_event_op, g.domid(),
                    x -> x.vmEventOp().op(3).mode(DomctlConstants.XEN_DOMCTL_VM_EVENT_OP_PAGING), null);
            assertEquals(-XenErrno.ENOSYS, rc, "GET_VERSION is a 4.17 op");
        }
    }

    @Test @DisplayName("a relative xenstore watch reports paths relative to the domain's home (/local/domain/<D>)")
    void relativeWatchPaths() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 16, 2).connect(target(), Wire.PROFILE_412)) {
            RawConnection gc = g.connection();
            gc.send(Wire.XENSTORE, 400, XenstoreConformance.msg(4, 31, 0, "memory\0rel\0"));
            java.util.List<XenstoreConformance.Xs> got = new java.util.ArrayList<>(java.util.List.of(XenstoreConformance.read(gc), XenstoreConformance.read(gc)));
            XenstoreConformance.Xs first = got.stream().filter(x -> x.frameId() == 0).findFirst()
                    .orElseThrow(() -> new AssertionError("no initial event in " + got));
            assertEquals("memory\0rel\0", first.body(), "the initial event names the relative path");
            String abs = "/local/domain/" + g.domid() + "/memory/target";
            RawConnection tc = ts.connection();
            tc.send(Wire.XENSTORE, 401, XenstoreConformance.msg(11, 32, 0, abs + "\0" + "4096"));
            XenstoreConformance.Xs w = XenstoreConformance.read(tc);
            assertEquals(11, w.type(), w::toString);
            XenstoreConformance.Xs ev = XenstoreConformance.read(gc);
            assertEquals(0, ev.frameId(), "unsolicited");
            assertEquals(15, ev.type(), "XS_WATCH_EVENT");
            assertEquals("memory/target\0rel\0", ev.body(), "relative to /local/domain/" + g.domid());
        }
    }
}
