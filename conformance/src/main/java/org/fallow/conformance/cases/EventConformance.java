package org.fallow.conformance.cases;

import org.fallow.abi.xen.HvmOpConstants;
import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.DomctlConstants;
import org.fallow.abi.xen.XenDomctl;
import org.fallow.conformance.Guest;
import org.fallow.conformance.MappedFile;
import org.fallow.conformance.RawConnection;
import org.fallow.conformance.RawFrame;
import org.fallow.conformance.Toolstack;
import org.fallow.conformance.Wire;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.*;

/** PROTOCOL §5: EVTCHN_SEND from clients, DOMAIN_EVENT to guests, MEM_FAULT of a dead domain; §1.2 pre-HELLO types. */
@DisplayName("event channels and domain events (PROTOCOL §5)")
class EventConformance extends CaseSupport {

    static byte[] evtchn(int port) { return Wire.evtchnSend(port); }

    @Test @DisplayName("EVTCHN_SEND: own port accepted silently, unknown port -EINVAL, another connection's port -EPERM")
    void evtchnSend() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 64, 32); Toolstack other = Toolstack.connect(target())) {
            int d = g.domid();
            assertEquals(1, ts.populate(d, 40, 1));
            assertEquals(0, ts.setHvmParam(d, HvmOpConstants.HVM_PARAM_PAGING_RING_PFN, 40L));
            XenDomctl en = new XenDomctl();
            assertEquals(0, ts.domctl(DomctlConstants.XEN_DOMCTL_vm_event_op, d,
                    x -> x.vmEventOp().op(DomctlConstants.XEN_VM_EVENT_ENABLE).mode(DomctlConstants.XEN_DOMCTL_VM_EVENT_OP_PAGING), en));
            int port = (int) en.vmEventOp().port();

            ts.connection().send(Wire.EVTCHN_SEND, 500, evtchn(port));
            assertEquals(-XenErrno.ENOSYS, ts.hypercall(99), "no ERROR before the next reply: the send was accepted");
            ts.connection().send(Wire.EVTCHN_SEND, 501, evtchn(0x7FFF_0000));
            expectError(ts.connection(), -XenErrno.EINVAL, 501);
            other.connection().send(Wire.EVTCHN_SEND, 502, evtchn(port));
            expectError(other.connection(), -XenErrno.EPERM, 502);
        }
    }

    @Test @DisplayName("destroying a domain sends its guest DOMAIN_EVENT destroyed (2); its MEM_FAULT then gets FAULT_DONE -ESRCH")
    void domainDestroyed() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 16, 4).connect(target(), Wire.PROFILE_412)) {
            assertEquals(0, ts.destroy(g.domid()));
            RawConnection c = g.connection();
            RawFrame ev = c.read();
            assertEquals(Wire.DOMAIN_EVENT, ev.type(), ev::toString);
            assertEquals(0, ev.requestId(), "unsolicited");
            assertEquals(2, ev.domainEvent().event(), "event destroyed");
            assertEquals(8 + ev.domainEvent().textLength(), ev.payload().length, "8 + text_len");
            long id = g.nextRequestId();
            c.send(Wire.MEM_FAULT, id, Wire.memFault(1, 1, 0));
            RawFrame done = c.read();
            assertEquals(Wire.FAULT_DONE, done.type(), done::toString);
            assertEquals(id, done.requestId());
            assertEquals(-XenErrno.ESRCH, done.status());
        }
    }

    @Test @DisplayName("MEM_FAULT, XENSTORE and EVTCHN_SEND before HELLO: ERROR -EPERM")
    void beforeHello() throws Exception {
        try (RawConnection c = open()) {
            c.send(Wire.MEM_FAULT, 11, Wire.memFault(1, 1, 0));
            expectError(c, -XenErrno.EPERM, 11);
            c.send(Wire.XENSTORE, 12, XenstoreConformance.msg(2, 1, 0, "/local\0"));
            expectError(c, -XenErrno.EPERM, 12);
            c.send(Wire.EVTCHN_SEND, 13, evtchn(1));
            expectError(c, -XenErrno.EPERM, 13);
        }
    }
}
