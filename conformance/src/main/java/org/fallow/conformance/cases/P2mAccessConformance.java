package org.fallow.conformance.cases;

import org.fallow.abi.xen.P2mType;
import org.fallow.abi.wire.P2mHeader;
import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.XenPodTarget;
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

import static org.fallow.abi.Hypercalls.MEMORY_OP;
import static org.fallow.abi.xen.MemoryOpConstants.*;
import static org.junit.jupiter.api.Assertions.*;

/** PROTOCOL §3.3: the shared p2m view and the guest access protocol (MEM_FAULT / FAULT_DONE). */
@DisplayName("shared p2m view and access protocol (PROTOCOL §3.3)")
class P2mAccessConformance extends CaseSupport {
    /** Aligned 32-bit entries (the header is 64 bytes, so entry g is 4-byte aligned): atomic get-and-add. */
    private static final VarHandle ENTRY = ValueLayout.JAVA_INT.varHandle();
    private static final int RAM_RW = P2mType.P2M_RAM_RW, POD = P2mType.P2M_POPULATE_ON_DEMAND, INFLIGHT = P2mHeader.INFLIGHT_ONE;

    @Test @DisplayName("header fields; a PoD gfn faults via MEM_FAULT, FAULT_DONE 0, then it is ram_rw")
    void podFault() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 64, 8)) {
            int d = g.domid();
            assertEquals(16, ts.reservation(XENMEM_populate_physmap, d, 16, 16, XENMEMF_populate_on_demand));
            Toolstack.Buf b = ts.alloc(XenPodTarget.SIZE);
            new XenPodTarget().wrap(b.seg(), 0).targetPages(8 + 16).domid(d);
            assertEquals(0, ts.hypercall(MEMORY_OP, XENMEM_set_pod_target, b.handle()));
            g.connect(target(), Wire.PROFILE_412);

            MemorySegment p2m = g.p2m();
            P2mHeader h = new P2mHeader().wrap(p2m, 0);
            assertEquals(Integer.toUnsignedLong(P2mHeader.MAGIC), h.magic(), "magic FP2M");
            assertEquals(P2mHeader.VERSION, h.version(), "version");
            assertEquals(64, h.nrFrames(), "nr_frames");
            assertEquals(g.helloAck().helloAck().nrFrames(), h.nrFrames(), "nr_frames = HELLO_ACK nr_frames");
            assertEquals(P2mHeader.STATE_RUNNING, h.domainState(), "domain_state running");
            assertEquals(RAM_RW, g.p2mType(3), "populated gfn is ram_rw");
            assertEquals(1, g.p2mType(40), "never-populated gfn is invalid");

            long gfn = 20;
            long at = P2mHeader.entryOffset(gfn);
            assertEquals(POD, g.p2mType(gfn), "PoD gfn type");
            int old = (int) ENTRY.getAndAdd(p2m, at, INFLIGHT);
            assertTrue(P2mHeader.unset(old), "step 1 sees an unset entry");
            assertTrue(P2mHeader.inPodExtent(p2m, gfn), "which the header's PoD extents make populate_on_demand");
            ENTRY.getAndAdd(p2m, at, -INFLIGHT);

            RawConnection c = g.connection();
            long id = g.nextRequestId();
            c.send(Wire.MEM_FAULT, id, Wire.memFault(gfn, 2, 0));
            RawFrame done = c.read();
            assertEquals(Wire.FAULT_DONE, done.type(), done::toString);
            assertEquals(id, done.requestId());
            assertEquals(8, done.payload().length);
            assertEquals(0, done.status(), "FAULT_DONE status");

            old = (int) ENTRY.getAndAdd(p2m, at, INFLIGHT);
            assertEquals(RAM_RW, P2mHeader.typeOf(old), "after FAULT_DONE 0 the gfn is ram_rw");
            g.page(gfn).set(ValueLayout.JAVA_LONG, 0, 0x1234_5678L);
            ENTRY.getAndAdd(p2m, at, -INFLIGHT);
            assertEquals(0, g.p2mEntry(gfn) >>> 16, "in-flight count back to 0");
            assertEquals(0x1234_5678L, g.page(gfn).get(ValueLayout.JAVA_LONG, 0));
        }
    }

    @Test @DisplayName("MEM_FAULT: outside guest memory FAULT_DONE negative; bad access -EINVAL; from a toolstack -EPERM")
    void faultErrors() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 32, 4).connect(target(), Wire.PROFILE_412)) {
            RawConnection c = g.connection();
            long id = g.nextRequestId();
            c.send(Wire.MEM_FAULT, id, Wire.memFault(1000, 1, 0));
            RawFrame done = c.read();
            assertEquals(Wire.FAULT_DONE, done.type(), done::toString);
            assertEquals(id, done.requestId());
            assertTrue(done.status() < 0, "FAULT_DONE status " + done.status());
            long id2 = g.nextRequestId();
            c.send(Wire.MEM_FAULT, id2, Wire.memFault(1, 3, 0));
            expectError(c, -XenErrno.EINVAL, id2);
            ts.connection().send(Wire.MEM_FAULT, 555, Wire.memFault(1, 1, 0));
            expectError(ts.connection(), -XenErrno.EPERM, 555);
        }
    }
}
