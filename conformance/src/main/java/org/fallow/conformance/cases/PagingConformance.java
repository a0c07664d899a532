package org.fallow.conformance.cases;

import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.DomctlConstants;
import org.fallow.abi.xen.XenDomctl;
import org.fallow.abi.xen.XenMemPagingOp;
import org.fallow.conformance.Guest;
import org.fallow.conformance.MappedFile;
import org.fallow.conformance.Toolstack;
import org.fallow.conformance.Wire;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import static org.fallow.abi.xen.MemoryOpConstants.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Memory paging over the wire (xen-abi §5, PROTOCOL §3.3): vm_event ENABLE returns a port, nominate/evict move the
 * shared p2m entry to ram_paging_out / ram_paged, and a guest access in flight makes nominate fail with -EBUSY.
 */
@DisplayName("memory paging (xen-abi §5, PROTOCOL §3.3)")
class PagingConformance extends CaseSupport {
    private static final VarHandle ENTRY = ValueLayout.JAVA_INT.varHandle();
    private static final int HVMOP_SET_PARAM = 0, HVM_PARAM_PAGING_RING_PFN = 27;
    private static final int RAM_PAGING_OUT = 9, RAM_PAGED = 10, INFLIGHT = 0x10000;
    private static final long RING_GFN = 40;

    private static long pagingOp(Toolstack ts, int op, int domid, long gfn) throws Exception {
        Toolstack.Buf b = ts.alloc(XenMemPagingOp.SIZE);
        new XenMemPagingOp().wrap(b.seg(), 0).op(op).domain(domid).gfn(gfn);
        return ts.hypercall(Hypercalls.MEMORY_OP, XENMEM_paging_op, b.handle());
    }

    private static long vmEvent(Toolstack ts, int domid, int op, XenDomctl out) throws Exception {
        return ts.domctl(DomctlConstants.XEN_DOMCTL_vm_event_op, domid,
                d -> d.vmEventOp().op(op).mode(DomctlConstants.XEN_DOMCTL_VM_EVENT_OP_PAGING), out);
    }

    @Test @DisplayName("ENABLE returns a port; nominate → ram_paging_out, -EBUSY while a guest access is in flight; evict → ram_paged")
    void nominateEvict() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 64, 32)) {
            int d = g.domid();
            assertEquals(1, ts.populate(d, RING_GFN, 1), "ring gfn");
            Toolstack.Buf p = ts.alloc(16);
            p.seg().set(MappedFile.U16, 0, (short) d);
            p.seg().set(MappedFile.U32, 4, HVM_PARAM_PAGING_RING_PFN);
            p.seg().set(MappedFile.U64, 8, RING_GFN);
            assertEquals(0, ts.hypercall(Hypercalls.HVM_OP, HVMOP_SET_PARAM, p.handle()), "HVM_PARAM_PAGING_RING_PFN");
            assertEquals(-XenErrno.ENODEV, pagingOp(ts, XENMEM_paging_op_nominate, d, 10), "no ring");

            XenDomctl en = new XenDomctl();
            assertEquals(0, vmEvent(ts, d, DomctlConstants.XEN_VM_EVENT_ENABLE, en));
            assertTrue(en.vmEventOp().port() > 0, "port copied back: " + en.vmEventOp().port());
            assertEquals(-XenErrno.EBUSY, vmEvent(ts, d, DomctlConstants.XEN_VM_EVENT_ENABLE, null), "a ring exists");

            g.connect(target(), Wire.PROFILE_412);
            assertEquals(0, pagingOp(ts, XENMEM_paging_op_nominate, d, 10));
            assertEquals(RAM_PAGING_OUT, g.p2mEntry(10) & 0xFF, "nominated gfn is ram_paging_out");

            long at = Guest.P2M_HEADER + 4 * 11L;
            ENTRY.getAndAdd(g.p2m(), at, INFLIGHT);
            try {
                assertEquals(-XenErrno.EBUSY, pagingOp(ts, XENMEM_paging_op_nominate, d, 11), "access in flight");
                assertEquals(0, g.p2mEntry(11) & 0xFF, "still ram_rw");
            } finally {
                ENTRY.getAndAdd(g.p2m(), at, -INFLIGHT);
            }
            assertEquals(0, pagingOp(ts, XENMEM_paging_op_nominate, d, 11), "after the access");

            assertEquals(0, pagingOp(ts, XENMEM_paging_op_evict, d, 10));
            assertEquals(RAM_PAGED, g.p2mEntry(10) & 0xFF, "evicted gfn is ram_paged");
            XenDomctl info = new XenDomctl();
            assertEquals(0, ts.domctl(DomctlConstants.XEN_DOMCTL_getdomaininfo, d, null, info));
            assertEquals(1, info.getdomaininfo().pagedPages(), "paged_pages");
            assertEquals(-XenErrno.ENOENT, pagingOp(ts, XENMEM_paging_op_prep, d, 12), "prep of a RAM gfn");
            assertEquals(-XenErrno.ENOSYS, pagingOp(ts, 7, d, 12), "unknown paging op");
            assertEquals(-XenErrno.ESRCH, pagingOp(ts, XENMEM_paging_op_nominate, 0x7000, 1), "no such domain");
            assertEquals(0, vmEvent(ts, d, DomctlConstants.XEN_VM_EVENT_DISABLE, null));
            assertEquals(-XenErrno.EINVAL, vmEvent(ts, d, DomctlConstants.XEN_VM_EVENT_DISABLE, null), "no ring");
        }
    }
}
