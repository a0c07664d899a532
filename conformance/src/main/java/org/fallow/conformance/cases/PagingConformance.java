package org.fallow.conformance.cases;

import org.fallow.abi.xen.P2mType;
import org.fallow.abi.wire.P2mHeader;
import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.DomctlConstants;
import org.fallow.abi.xen.XenDomctl;
import org.fallow.conformance.Guest;
import org.fallow.conformance.Toolstack;
import org.fallow.conformance.Wire;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import static org.fallow.abi.xen.HvmOpConstants.HVM_PARAM_PAGING_RING_PFN;
import static org.fallow.abi.xen.MemoryOpConstants.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Memory paging over the wire (Xen 4.12 common/vm_event.c, arch/x86/mm/mem_paging.c, PROTOCOL §3.3): vm_event ENABLE returns a port, nominate/evict move the
 * shared p2m entry to ram_paging_out / ram_paged, and a guest access in flight makes nominate fail with -EBUSY.
 */
@DisplayName("memory paging (Xen 4.12 common/vm_event.c, arch/x86/mm/mem_paging.c, PROTOCOL §3.3)")
class PagingConformance extends CaseSupport {
    private static final VarHandle ENTRY = ValueLayout.JAVA_INT.varHandle();
    private static final int RAM_PAGING_OUT = P2mType.P2M_RAM_PAGING_OUT, RAM_PAGED = P2mType.P2M_RAM_PAGED,
            INFLIGHT = P2mHeader.INFLIGHT_ONE;
    private static final long RING_GFN = 40;

    @Test @DisplayName("ENABLE returns a port; nominate → ram_paging_out, -EBUSY while a guest access is in flight; evict → ram_paged")
    void nominateEvict() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 64, 32)) {
            int d = g.domid();
            assertEquals(1, ts.populate(d, RING_GFN, 1), "ring gfn");
            assertEquals(0, ts.setHvmParam(d, HVM_PARAM_PAGING_RING_PFN, RING_GFN), "HVM_PARAM_PAGING_RING_PFN");
            assertEquals(-XenErrno.ENODEV, ts.pagingOp(XENMEM_paging_op_nominate, d, 10, 0), "no ring");

            XenDomctl en = new XenDomctl();
            assertEquals(0, ts.vmEventPaging(d, DomctlConstants.XEN_VM_EVENT_ENABLE, en));
            assertTrue(en.vmEventOp().port() > 0, "port copied back: " + en.vmEventOp().port());
            assertEquals(-XenErrno.EBUSY, ts.vmEventPaging(d, DomctlConstants.XEN_VM_EVENT_ENABLE, null), "a ring exists");

            g.connect(target(), Wire.PROFILE_412);
            assertEquals(0, ts.pagingOp(XENMEM_paging_op_nominate, d, 10, 0));
            assertEquals(RAM_PAGING_OUT, g.p2mType(10), "nominated gfn is ram_paging_out");

            long at = P2mHeader.entryOffset(11L);
            ENTRY.getAndAdd(g.p2m(), at, INFLIGHT);
            try {
                assertEquals(-XenErrno.EBUSY, ts.pagingOp(XENMEM_paging_op_nominate, d, 11, 0), "access in flight");
                assertEquals(0, g.p2mType(11), "still ram_rw");
            } finally {
                ENTRY.getAndAdd(g.p2m(), at, -INFLIGHT);
            }
            assertEquals(0, ts.pagingOp(XENMEM_paging_op_nominate, d, 11, 0), "after the access");

            assertEquals(0, ts.pagingOp(XENMEM_paging_op_evict, d, 10, 0));
            assertEquals(RAM_PAGED, g.p2mType(10), "evicted gfn is ram_paged");
            XenDomctl info = new XenDomctl();
            assertEquals(0, ts.domctl(DomctlConstants.XEN_DOMCTL_getdomaininfo, d, null, info));
            assertEquals(1, info.getdomaininfo().pagedPages(), "paged_pages");
            assertEquals(-XenErrno.ENOENT, ts.pagingOp(XENMEM_paging_op_prep, d, 12, 0), "prep of a RAM gfn");
            assertEquals(-XenErrno.ENOSYS, ts.pagingOp(7, d, 12, 0), "unknown paging op");
            assertEquals(-XenErrno.ESRCH, ts.pagingOp(XENMEM_paging_op_nominate, 0x7000, 1, 0), "no such domain");
            assertEquals(0, ts.vmEventPaging(d, DomctlConstants.XEN_VM_EVENT_DISABLE, null));
            assertEquals(-XenErrno.EINVAL, ts.vmEventPaging(d, DomctlConstants.XEN_VM_EVENT_DISABLE, null), "no ring");
        }
    }
}
