package org.fallow.conformance.cases;

import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.DomctlConstants;
import org.fallow.abi.xen.MemoryOpConstants;
import org.fallow.abi.xen.XenDomctl;
import org.fallow.abi.xen.XenDomctlGetdomaininfo;
import org.fallow.abi.xen.XenLayouts;
import org.fallow.conformance.Guest;
import org.fallow.conformance.Toolstack;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Domain life cycle over the wire: createdomain, getdomaininfo, destroydomain (and the §3.2 memory files). */
@DisplayName("domains (domctl)")
class DomainConformance extends CaseSupport {

    @Test @DisplayName("createdomain + getdomaininfo + destroydomain")
    void lifecycle() throws Exception {
        try (Toolstack ts = Toolstack.connect(target())) {
            byte[] handle = new byte[16];
            for (int i = 0; i < 16; i++) handle[i] = (byte) (0xA0 + i);
            int domid = ts.createDomain(handle);
            assertTrue(domid > 0 && domid < 0x7FF0, "domid " + domid);
            assertEquals(0, ts.maxMem(domid, 48 * 4));
            assertEquals(5, ts.populate(domid, 0, 5));
            Path dir = ts.runDir(target());
            assertTrue(Files.exists(dir.resolve("dom" + domid + ".mem")), "dom<D>.mem");
            assertTrue(Files.exists(dir.resolve("dom" + domid + ".p2m")), "dom<D>.p2m");

            XenDomctl d = new XenDomctl();
            assertEquals(0, ts.domctl(DomctlConstants.XEN_DOMCTL_getdomaininfo, domid, null, d));
            XenDomctlGetdomaininfo info = d.getdomaininfo();
            assertEquals(domid, d.domain(), "xen_domctl.domain");
            assertEquals(domid, info.domain(), "info.domain");
            assertEquals(5, info.totPages(), "tot_pages");
            assertEquals(48, info.maxPages(), "max_pages");
            for (int i = 0; i < 16; i++) assertEquals(0xA0 + i, info.handle(i), "handle[" + i + "]");
            assertNotEquals(0, info.flags() & DomctlConstants.XEN_DOMINF_hvm_guest, "HVM guest flag");
            assertEquals(0, info.flags() & DomctlConstants.XEN_DOMINF_dying, "not dying");

            assertEquals(0, ts.destroy(domid));
            XenDomctl after = new XenDomctl();
            long rc = ts.domctl(DomctlConstants.XEN_DOMCTL_getdomaininfo, domid, null, after);
            assertTrue(rc == -XenErrno.ESRCH || (rc == 0 && after.domain() != domid),
                    "after destroy getdomaininfo(" + domid + ") returned " + rc + " for d" + after.domain());
            assertEquals(-XenErrno.ESRCH, ts.destroy(domid), "destroy twice");
        }
    }

    @Test @DisplayName("domctl on an unknown domain returns -ESRCH")
    void unknownDomain() throws Exception {
        try (Toolstack ts = Toolstack.connect(target())) {
            assertEquals(-XenErrno.ESRCH, ts.destroy(0x7000));
            assertEquals(-XenErrno.ESRCH, ts.maxMem(0x7000, 1024));
            assertEquals(-XenErrno.ENOSYS, ts.domctl(0x7777, 0, null, null), "unknown domctl cmd");
        }
    }

    @Test @DisplayName("a guest's current_reservation via DOMID_SELF is its tot_pages")
    void guestSelf() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 32, 6).connect(target(), 1)) {
            g.page(1).set(XenLayouts.U16_UNALIGNED, 0, (short) Hypercalls.DOMID_SELF);
            assertEquals(6, g.hypercall(Hypercalls.MEMORY_OP, MemoryOpConstants.XENMEM_current_reservation, Guest.gpa(1, 0)));
            assertEquals(32, g.hypercall(Hypercalls.MEMORY_OP, MemoryOpConstants.XENMEM_maximum_reservation, Guest.gpa(1, 0)));
        }
    }
}
