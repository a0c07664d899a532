package org.fallow.conformance.cases;

import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.XenPodTarget;
import org.fallow.conformance.Guest;
import org.fallow.conformance.MappedFile;
import org.fallow.conformance.Toolstack;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;
import static org.fallow.abi.xen.MemoryOpConstants.*;
import static org.junit.jupiter.api.Assertions.*;

/** memory_op (12) from the toolstack: reservations return extent counts, PoD target OUT fields (Xen 4.12 common/memory.c, arch/x86/mm/p2m-pod.c). */
@DisplayName("memory_op (Xen 4.12 common/memory.c, arch/x86/mm/p2m-pod.c)")
class MemoryOpConformance extends CaseSupport {

    private static long reservationQuery(Toolstack ts, int cmd, int domid) throws Exception {
        Toolstack.Buf b = ts.alloc(8);
        b.seg().set(U16_UNALIGNED, 0, (short) domid);
        return ts.hypercall(Hypercalls.MEMORY_OP, cmd, b.handle());
    }

    @Test @DisplayName("current/maximum_reservation, populate_physmap and decrease_reservation extent counts")
    void reservations() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 64, 8)) {
            int d = g.domid();
            assertEquals(8, reservationQuery(ts, XENMEM_current_reservation, d));
            assertEquals(64, reservationQuery(ts, XENMEM_maximum_reservation, d));
            assertEquals(4, ts.populate(d, 20, 4));
            assertEquals(12, reservationQuery(ts, XENMEM_current_reservation, d));
            assertEquals(3, ts.reservation(XENMEM_decrease_reservation, d, 20, 3, 0));
            assertEquals(9, reservationQuery(ts, XENMEM_current_reservation, d));
            assertEquals(-XenErrno.ESRCH, reservationQuery(ts, XENMEM_current_reservation, 0x7000));
            assertEquals(-XenErrno.EINVAL, ts.hypercall(Hypercalls.MEMORY_OP,
                    XENMEM_current_reservation | (1L << MEMOP_EXTENT_SHIFT), ts.alloc(8).handle()), "start extent on a query");
        }
    }

    @Test @DisplayName("reservation ops on an unknown domain or a bad handle return 0 extents")
    void badDomid() throws Exception {
        try (Toolstack ts = Toolstack.connect(target())) {
            assertEquals(0, ts.populate(0x7000, 0, 4));
            assertEquals(0, ts.reservation(XENMEM_decrease_reservation, 0x7000, 0, 4, 0));
            assertEquals(0, ts.hypercall(Hypercalls.MEMORY_OP, XENMEM_populate_physmap, 0));
        }
    }

    @Test @DisplayName("set/get_pod_target fill tot_pages, pod_cache_pages and pod_entries")
    void podTarget() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 64, 8)) {
            int d = g.domid();
            assertEquals(32, ts.reservation(XENMEM_populate_physmap, d, 16, 32, XENMEMF_populate_on_demand));
            Toolstack.Buf b = ts.alloc(XenPodTarget.SIZE);
            XenPodTarget t = new XenPodTarget().wrap(b.seg(), 0).targetPages(8 + 16).domid(d);
            assertEquals(0, ts.hypercall(Hypercalls.MEMORY_OP, XENMEM_set_pod_target, b.handle()));
            assertEquals(24, t.totPages(), "tot_pages = populated + cache");
            assertEquals(16, t.podCachePages(), "pod_cache_pages");
            assertEquals(32, t.podEntries(), "pod_entries");
            t.clear().domid(d);
            assertEquals(0, ts.hypercall(Hypercalls.MEMORY_OP, XENMEM_get_pod_target, b.handle()));
            assertEquals(24, t.totPages());
            assertEquals(16, t.podCachePages());
            assertEquals(32, t.podEntries());
            t.clear().targetPages(65).domid(d);
            assertEquals(-XenErrno.EINVAL, ts.hypercall(Hypercalls.MEMORY_OP, XENMEM_set_pod_target, b.handle()), "target > max_pages");
            assertEquals(0, t.totPages(), "nothing copied back on error");
            t.clear().domid(0x7000);
            assertEquals(-XenErrno.ESRCH, ts.hypercall(Hypercalls.MEMORY_OP, XENMEM_get_pod_target, b.handle()));
        }
    }
}
