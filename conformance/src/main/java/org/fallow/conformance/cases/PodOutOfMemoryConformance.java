package org.fallow.conformance.cases;

import org.fallow.abi.wire.DomainEvent;
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
import java.nio.charset.StandardCharsets;

import static org.fallow.abi.Hypercalls.MEMORY_OP;
import static org.fallow.abi.xen.MemoryOpConstants.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Populate-on-demand running out of memory (Xen 4.12 arch/x86/mm/p2m-pod.c step 5, PROTOCOL §3.3): a domain with maxmem > memory
 * (every gfn PoD, a cache of {@link #CACHE} pages) and no balloon driver dirties one gfn after another; once the
 * cache is used up and no zero page can be reclaimed, the fault is answered FAULT_DONE -ENOMEM, the domain is
 * crashed (p2m header domain_state 2) and its guest connection gets DOMAIN_EVENT crashed with the reason text.
 * Fallow answers FAULT_DONE -ENOMEM where Xen would leave the vCPU descheduled (DEVIATIONS.md "Failed faults").
 */
@DisplayName("PoD out of memory (Xen 4.12 arch/x86/mm/p2m-pod.c, PROTOCOL §3.3)")
class PodOutOfMemoryConformance extends CaseSupport {
    private static final VarHandle ENTRY = ValueLayout.JAVA_INT.varHandle();
    private static final int FRAMES = 64, CACHE = 8;
    private static final int RAM_RW = P2mType.P2M_RAM_RW, POD = P2mType.P2M_POPULATE_ON_DEMAND, INFLIGHT = P2mHeader.INFLIGHT_ONE;
    private static final int CRASHED_STATE = P2mHeader.STATE_CRASHED, EVENT_CRASHED = DomainEvent.CRASHED;

    /** get_pod_target's pod_cache_pages. */
    private static long podCache(Toolstack ts, int d) throws Exception {
        Toolstack.Buf b = ts.alloc(XenPodTarget.SIZE);
        XenPodTarget t = new XenPodTarget().wrap(b.seg(), 0).domid(d);
        assertEquals(0, ts.hypercall(MEMORY_OP, XENMEM_get_pod_target, b.handle()));
        return t.podCachePages();
    }

    @Test @DisplayName("dirtying more gfns than the PoD cache: FAULT_DONE -ENOMEM (Fallow: DEVIATIONS 'Failed faults'), domain_state 2, DOMAIN_EVENT crashed with the reason")
    void outOfPodMemoryCrashesTheDomain() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, FRAMES, 0)) {
            int d = g.domid();
            assertEquals(FRAMES, ts.reservation(XENMEM_populate_physmap, d, 0, FRAMES, XENMEMF_populate_on_demand), "all gfns PoD");
            Toolstack.Buf b = ts.alloc(XenPodTarget.SIZE);
            new XenPodTarget().wrap(b.seg(), 0).targetPages(CACHE).domid(d);
            assertEquals(0, ts.hypercall(MEMORY_OP, XENMEM_set_pod_target, b.handle()), "set_pod_target");
            assertEquals(CACHE, podCache(ts, d), "the PoD cache");
            g.connect(target(), Wire.PROFILE_412);
            MemorySegment p2m = g.p2m();
            RawConnection c = g.connection();

            int dirtied = 0;
            RawFrame failed = null, event = null;
            for (long gfn = 1; gfn < FRAMES && failed == null; gfn++) {
                assertEquals(POD, g.p2mType(gfn), "gfn " + gfn + " is PoD");
                long id = g.nextRequestId();
                c.send(Wire.MEM_FAULT, id, Wire.memFault(gfn, 2, 0));
                RawFrame f = c.read();
                if (f.type() == Wire.DOMAIN_EVENT) {
                    event = f;
                    f = c.read();
                }
                assertEquals(Wire.FAULT_DONE, f.type(), f::toString);
                assertEquals(id, f.requestId());
                if (f.status() != 0) {
                    failed = f;
                    break;
                }
                long at = P2mHeader.entryOffset(gfn);
                int old = (int) ENTRY.getAndAdd(p2m, at, INFLIGHT);
                assertEquals(RAM_RW, P2mHeader.typeOf(old), "populated gfn " + gfn);
                g.page(gfn).set(ValueLayout.JAVA_LONG, 0, 0xD1D1_0000L + gfn); // non-zero: not reclaimable
                ENTRY.getAndAdd(p2m, at, -INFLIGHT);
                dirtied++;
            }
            assertNotNull(failed, "a fault failed within " + FRAMES + " gfns");
            assertEquals(-XenErrno.ENOMEM, failed.status(), "FAULT_DONE -ENOMEM");
            assertEquals(CACHE, dirtied, "every cache page was handed out before the crash");
            assertEquals(CRASHED_STATE, new P2mHeader().wrap(p2m, 0).domainState(), "p2m header domain_state crashed");

            if (event == null) event = c.read();
            RawFrame ev = event;
            assertEquals(Wire.DOMAIN_EVENT, ev.type(), ev::toString);
            assertEquals(0, ev.requestId(), "unsolicited");
            assertEquals(EVENT_CRASHED, ev.domainEvent().event(), "event crashed");
            int len = (int) ev.domainEvent().textLength();
            assertEquals(8 + len, ev.payload().length);
            String reason = new String(ev.payload(), 8, len, StandardCharsets.UTF_8);
            assertEquals("Dom" + d + " out of PoD memory!", reason, "reason text (Xen's printk)");

            for (long gfn = 1; gfn <= CACHE; gfn++)
                assertEquals(0xD1D1_0000L + gfn, g.page(gfn).get(ValueLayout.JAVA_LONG, 0), "dirtied data of gfn " + gfn + " kept");
            long id = g.nextRequestId();
            c.send(Wire.MEM_FAULT, id, Wire.memFault(CACHE + 5, 2, 0));
            RawFrame after = c.read();
            assertEquals(Wire.FAULT_DONE, after.type(), after::toString);
            assertEquals(-XenErrno.EFAULT, after.status(), "a crashed domain's faults fail with -EFAULT (PROTOCOL §3.3)");
        }
    }

    @Test @DisplayName("gfns touched but left zero are reclaimed (zero check): touching 4× the PoD cache neither fails nor crashes")
    void zeroPagesAreReclaimed() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, FRAMES, 0)) {
            int d = g.domid();
            assertEquals(FRAMES, ts.reservation(XENMEM_populate_physmap, d, 0, FRAMES, XENMEMF_populate_on_demand));
            Toolstack.Buf b = ts.alloc(XenPodTarget.SIZE);
            new XenPodTarget().wrap(b.seg(), 0).targetPages(CACHE).domid(d);
            assertEquals(0, ts.hypercall(MEMORY_OP, XENMEM_set_pod_target, b.handle()));
            g.connect(target(), Wire.PROFILE_412);
            MemorySegment p2m = g.p2m();
            RawConnection c = g.connection();
            for (long gfn = 1; gfn <= 4 * CACHE; gfn++) {
                long id = g.nextRequestId();
                c.send(Wire.MEM_FAULT, id, Wire.memFault(gfn, 1, 0));
                RawFrame f = c.read();
                assertEquals(Wire.FAULT_DONE, f.type(), f::toString);
                assertEquals(id, f.requestId());
                assertEquals(0, f.status(), "fault on gfn " + gfn);
                long at = P2mHeader.entryOffset(gfn);
                int old = (int) ENTRY.getAndAdd(p2m, at, INFLIGHT);
                assertEquals(RAM_RW, P2mHeader.typeOf(old), "populated gfn " + gfn);
                assertEquals(0, g.page(gfn).get(ValueLayout.JAVA_LONG, 0), "a PoD page reads zero");
                ENTRY.getAndAdd(p2m, at, -INFLIGHT);
            }
            assertEquals(P2mHeader.STATE_RUNNING, new P2mHeader().wrap(p2m, 0).domainState(), "domain_state still running");
            int ram = 0, pod = 0;
            for (long gfn = 0; gfn < FRAMES; gfn++) {
                int t = g.p2mType(gfn);
                if (t == RAM_RW) ram++;
                else if (t == POD) pod++;
            }
            Toolstack.Buf q = ts.alloc(XenPodTarget.SIZE);
            XenPodTarget pt = new XenPodTarget().wrap(q.seg(), 0).domid(d);
            assertEquals(0, ts.hypercall(MEMORY_OP, XENMEM_get_pod_target, q.handle()));
            assertEquals(CACHE, pt.totPages(), "tot_pages = populated + cache stays the 8 pages");
            assertEquals(CACHE, ram + pt.podCachePages(), "every page is either mapped RAM or in the cache");
            assertEquals(FRAMES - ram, pod, "every other gfn is PoD again");
            assertEquals(pod, pt.podEntries(), "pod_entries = the PoD gfns");
        }
    }
}
