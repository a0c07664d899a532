package org.fallow.conformance.cases;

import org.fallow.abi.XenErrno;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.xen.DomctlConstants;
import org.fallow.abi.xen.XenDomctl;
import org.fallow.conformance.Guest;
import org.fallow.conformance.Toolstack;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.fallow.abi.xen.MemoryOpConstants.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Places where an implementation is easily "almost Xen" (issue 15): HAP required for paging, DOMID_SELF in paging
 * calls, tmem zero pages charged like any page, hypervisor accesses to paged-out frames, freeing a nominated gfn.
 * Each case names the Xen 4.12 source behaviour it checks (xen-abi.md §2.3, §2.4, §5.1, §5.4).
 */
@DisplayName("Xen 4.12 fidelity: HAP for paging, DOMID_SELF, tmem zero pages, paged-out frames (xen-abi §2, §5)")
class XenFidelityConformance extends CaseSupport {
    private static final int HVM_PARAM_PAGING_RING_PFN = 27;
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
            assertEquals(0, info.getdomaininfo().flags() & org.fallow.abi.xen.XenDomctlGetdomaininfo.DOMINF_HAP, "getdomaininfo: no XEN_DOMINF_hap");
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
}
