package org.fallow.hypervisor.paging;

import org.fallow.abi.xen.VmEventConstants;
import org.fallow.abi.XenErrno;
import org.fallow.abi.ring.BackRing;
import org.fallow.abi.xen.VmEventRequest;
import org.fallow.abi.ring.SharedRing;
import org.fallow.hypervisor.core.Caller;
import org.fallow.abi.AbiProfile;
import org.fallow.hypervisor.core.GuestAddressSpace;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_VM_EVENT_OP_MONITOR;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_VM_EVENT_OP_PAGING;
import static org.fallow.abi.xen.DomctlConstants.XEN_VM_EVENT_DISABLE;
import static org.fallow.abi.xen.DomctlConstants.XEN_VM_EVENT_ENABLE;
import static org.fallow.abi.xen.DomctlConstants.XEN_VM_EVENT_RESUME;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op_evict;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op_nominate;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op_prep;
import static org.fallow.hypervisor.paging.PagingEngine.*;
import static org.junit.jupiter.api.Assertions.*;

@Timeout(30)
class PagingEngineTest {
    static final int RING_GFN = 60;
    Path dir;
    PagingHarness h;
    TestPeer pagerPeer;
    Caller pager;

    @BeforeEach void setUp() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "fl");
        h = new PagingHarness(dir, 64, 16);
        pagerPeer = new TestPeer("pager");
        pager = h.toolstack(pagerPeer);
    }

    @AfterEach void tearDown() throws Exception {
        h.close();
        org.fallow.abi.fs.SafeFiles.deleteTree(dir);
    }

    private int enable() {
        h.mem.hvmParamRing(RING_GFN);
        long[] r = h.vmEvent(pager, 5, XEN_VM_EVENT_ENABLE, XEN_DOMCTL_VM_EVENT_OP_PAGING);
        assertEquals(0, r[0]);
        assertEquals(1, r[2], "domctl copied back");
        return (int) r[1];
    }

    /** The pager's view of the ring (SHARED_RING_INIT + BACK_RING_INIT on the hypervisor's ring file). */
    private BackRing attachBack() throws Exception { return attachBack(VmEventRequest.SIZE); }

    private BackRing attachBack(int entrySize) throws Exception {
        try (FileChannel ch = FileChannel.open(dir.resolve("dom5.vmring"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment page = ch.map(FileChannel.MapMode.READ_WRITE, 0, 4096, Arena.ofAuto());
            SharedRing s = new SharedRing(page, entrySize);
            s.init();
            return new BackRing(s);
        }
    }

    private void kick(int port) { assertEquals(0, (int) h.onDispatch(() -> h.evtchn.remoteSend(pagerPeer, port))); }

    private void pageOut(long gfn, byte fill) {
        h.mem.frame(gfn).fill(fill);
        assertEquals(0, h.pagingOp(pager, XENMEM_paging_op_nominate, 5, gfn, 0));
        assertEquals(0, h.pagingOp(pager, XENMEM_paging_op_evict, 5, gfn, 0));
    }

    @Test void enableErrorsInXenOrder() {
        h.mem.podEntries(3);
        assertEquals(-XenErrno.EXDEV, h.vmEvent(pager, 5, XEN_VM_EVENT_ENABLE, XEN_DOMCTL_VM_EVENT_OP_PAGING)[0]);
        h.mem.podEntries(0);
        assertEquals(-XenErrno.ENOSYS, h.vmEvent(pager, 5, XEN_VM_EVENT_ENABLE, XEN_DOMCTL_VM_EVENT_OP_PAGING)[0], "param 27 unset");
        assertEquals(-XenErrno.ENOSYS, h.vmEvent(pager, 5, XEN_VM_EVENT_ENABLE, XEN_DOMCTL_VM_EVENT_OP_MONITOR)[0]);
        assertEquals(-XenErrno.ENOSYS, h.vmEvent(pager, 5, 7, XEN_DOMCTL_VM_EVENT_OP_PAGING)[0]);
        assertEquals(-XenErrno.ESRCH, h.vmEvent(pager, 9, XEN_VM_EVENT_ENABLE, XEN_DOMCTL_VM_EVENT_OP_PAGING)[0]);
        assertEquals(-XenErrno.EINVAL, h.vmEvent(pager, 0, XEN_VM_EVENT_ENABLE, XEN_DOMCTL_VM_EVENT_OP_PAGING)[0], "target == caller (dom0)");
        assertEquals(-XenErrno.ESRCH, h.vmEvent(pager, 0x7FF0, XEN_VM_EVENT_ENABLE, XEN_DOMCTL_VM_EVENT_OP_PAGING)[0],
                "DOMID_SELF: do_domctl's rcu_lock_domain_by_id knows no DOMID_SELF");
        assertEquals(-XenErrno.EINVAL, h.vmEvent(pager, 5, XEN_VM_EVENT_DISABLE, XEN_DOMCTL_VM_EVENT_OP_PAGING)[0], "no ring");
        assertEquals(-XenErrno.ENODEV, h.vmEvent(pager, 5, XEN_VM_EVENT_RESUME, XEN_DOMCTL_VM_EVENT_OP_PAGING)[0], "no ring");
        Caller guest = new Caller(Caller.Role.GUEST, 5, AbiProfile.XEN_4_12, GuestAddressSpace.NONE, pagerPeer);
        assertEquals(-XenErrno.EPERM, h.vmEvent(guest, 5, XEN_VM_EVENT_ENABLE, XEN_DOMCTL_VM_EVENT_OP_PAGING)[0]);
        // ring gfn that is paged out -> -ENOENT; a non-RAM ring gfn -> -EINVAL
        h.mem.hvmParamRing(RING_GFN);
        int w = h.mem.p2mWord(RING_GFN);
        h.mem.casP2mWord(RING_GFN, w, PagingMemory.withType(w, PagingMemory.P2M_PAGED));
        assertEquals(-XenErrno.ENOENT, h.vmEvent(pager, 5, XEN_VM_EVENT_ENABLE, XEN_DOMCTL_VM_EVENT_OP_PAGING)[0]);
        h.mem.casP2mWord(RING_GFN, PagingMemory.withType(w, PagingMemory.P2M_PAGED), PagingMemory.withType(w, PagingMemory.P2M_INVALID));
        assertEquals(-XenErrno.EINVAL, h.vmEvent(pager, 5, XEN_VM_EVENT_ENABLE, XEN_DOMCTL_VM_EVENT_OP_PAGING)[0]);
        h.mem.casP2mWord(RING_GFN, PagingMemory.withType(w, PagingMemory.P2M_INVALID), w);
        int port = enable();
        assertTrue(port > 0 && h.evtchn.open(port));
        assertEquals(-XenErrno.EBUSY, h.vmEvent(pager, 5, XEN_VM_EVENT_ENABLE, XEN_DOMCTL_VM_EVENT_OP_PAGING)[0], "ring exists");
        assertEquals(0, h.vmEvent(pager, 5, XEN_VM_EVENT_RESUME, XEN_DOMCTL_VM_EVENT_OP_PAGING)[0]);
        assertEquals(0, h.vmEvent(pager, 5, XEN_VM_EVENT_DISABLE, XEN_DOMCTL_VM_EVENT_OP_PAGING)[0]);
        assertFalse(h.evtchn.open(port));
        assertFalse(Files.exists(dir.resolve("dom5.vmring")));
    }

    /** Issue 15 item 7: Xen's PAGING ENABLE checks hap_enabled(d) first: PV or shadow-paged HVM domains get -ENODEV. */
    @Test void enableNeedsHap() {
        h.mem.hvmParamRing(RING_GFN);
        h.mem.podEntries(3);
        h.mem.hap(false);
        assertEquals(-XenErrno.ENODEV, h.vmEvent(pager, 5, XEN_VM_EVENT_ENABLE, XEN_DOMCTL_VM_EVENT_OP_PAGING)[0],
                "no HAP, checked before outstanding PoD entries (-EXDEV)");
        assertFalse(h.paging.enabled(h.dom));
        h.mem.hap(true);
        assertEquals(-XenErrno.EXDEV, h.vmEvent(pager, 5, XEN_VM_EVENT_ENABLE, XEN_DOMCTL_VM_EVENT_OP_PAGING)[0]);
        h.mem.podEntries(0);
        enable();
        assertTrue(h.paging.enabled(h.dom));
    }

    /**
     * Issue 15 item 6: DISABLE unpauses only ring-blocked vCPUs (vm_event_disable); an access paused on a request the
     * pager never answered stays paused, and the next pager that enables paging is asked for it again.
     */
    @Test void disableKeepsAccessesWaitingForAResponsePaused() throws Exception {
        int port0 = enable();
        BackRing back = attachBack();
        kick(port0);
        pageOut(9, (byte) 0x42);
        CompletableFuture<Integer> access = h.fault(9, 1);
        assertEquals(1, (int) h.onDispatch(() -> h.paging.pausedAccesses(h.dom)));
        MemorySegment first = Arena.ofAuto().allocate(VmEventRequest.SIZE, 8);
        assertTrue(back.takeRequest(first), "the request reached the first pager, which never answers");
        assertEquals(0, h.vmEvent(pager, 5, XEN_VM_EVENT_DISABLE, XEN_DOMCTL_VM_EVENT_OP_PAGING)[0]);
        assertFalse(access.isDone(), "still paused after DISABLE");
        assertEquals(1, (int) h.onDispatch(() -> h.paging.pausedAccesses(h.dom)));
        int port = enable();
        BackRing back2 = attachBack();
        kick(port);
        MemorySegment req = Arena.ofAuto().allocate(VmEventRequest.SIZE, 8);
        assertTrue(back2.takeRequest(req), "the new pager is asked for the paused access");
        assertEquals(9, req.get(U64_UNALIGNED, VmEventRequest.MEM_PAGING_GFN_OFFSET), "u.mem_paging.gfn");
        assertEquals(1, req.get(U32_UNALIGNED, VmEventRequest.VCPU_ID_OFFSET), "vcpu_id");
        assertEquals(1, req.get(U32_UNALIGNED, VmEventRequest.FLAGS_OFFSET) & 1, "flags: VCPU_PAUSED");
    }

    @Test void pagingOpsNeedARing() {
        assertEquals(-XenErrno.ENODEV, h.pagingOp(pager, XENMEM_paging_op_nominate, 5, 7, 0));
        assertEquals(-XenErrno.ESRCH, h.pagingOp(pager, XENMEM_paging_op_nominate, 9, 7, 0));
        assertEquals(-XenErrno.EPERM, h.pagingOp(pager, XENMEM_paging_op_nominate, 0, 7, 0), "target == self (dom0)");
        assertEquals(-XenErrno.ESRCH, h.pagingOp(pager, XENMEM_paging_op_nominate, 0x7FF0, 7, 0),
                "issue 15 item 14: DOMID_SELF is not looked up (rcu_lock_live_remote_domain_by_id)");
        Caller guest = new Caller(Caller.Role.GUEST, 5, AbiProfile.XEN_4_12, h.arenaSpace(), pagerPeer);
        assertEquals(-XenErrno.EPERM, h.pagingOp(guest, XENMEM_paging_op_nominate, 5, 7, 0), "a guest naming itself");
        assertEquals(-XenErrno.ESRCH, h.pagingOp(guest, XENMEM_paging_op_nominate, 9, 7, 0), "a guest naming no domain");
        assertEquals(-XenErrno.ESRCH, h.pagingOp(guest, XENMEM_paging_op_nominate, 0x7FF0, 7, 0), "a guest's DOMID_SELF");
        assertEquals(-XenErrno.EFAULT, (long) h.onDispatch(() -> h.core.memoryOps().get(20).invoke(pager, new long[] {20, 0x1000, 0, 0, 0})));
        enable();
        assertEquals(-XenErrno.ENOSYS, h.pagingOp(pager, 9, 5, 7, 0));
    }

    @Test void nominateEvictPrepFollowTheStateMachine() {
        enable();
        long tot0 = h.mem.totPages();
        h.mem.frame(7).fill((byte) 0x5A);
        assertEquals(-XenErrno.ENOENT, h.pagingOp(pager, XENMEM_paging_op_prep, 5, 7, h.bufferHandle()), "ram_rw cannot be prepped");
        assertEquals(-XenErrno.EBUSY, h.pagingOp(pager, XENMEM_paging_op_evict, 5, 7, 0), "evict needs a nominated page");
        assertEquals(0, h.pagingOp(pager, XENMEM_paging_op_nominate, 5, 7, 0));
        assertEquals(PagingMemory.P2M_PAGING_OUT, h.type(7));
        assertEquals(-XenErrno.EBUSY, h.pagingOp(pager, XENMEM_paging_op_nominate, 5, 7, 0), "already nominated");
        byte[] saved = h.mem.frame(7).toArray(ValueLayout.JAVA_BYTE);
        assertEquals(0, h.pagingOp(pager, XENMEM_paging_op_evict, 5, 7, 0));
        assertEquals(PagingMemory.P2M_PAGED, h.type(7));
        assertEquals(tot0 - 1, h.mem.totPages());
        assertEquals(1, h.paging.pagedPages(h.dom));
        assertEquals(0, h.mem.frame(7).get(ValueLayout.JAVA_BYTE, 100), "frame scrubbed");
        assertEquals(-XenErrno.EINVAL, h.pagingOp(pager, XENMEM_paging_op_prep, 5, 7, h.bufferHandle() + 8), "unaligned buffer");
        assertEquals(-XenErrno.EINVAL, h.pagingOp(pager, XENMEM_paging_op_prep, 5, 7, 0), "evicted page needs data");
        assertEquals(-XenErrno.EFAULT, h.pagingOp(pager, XENMEM_paging_op_prep, 5, 7, 0x1000), "buffer outside arena");
        h.bufferPage().copyFrom(MemorySegment.ofArray(saved));
        assertEquals(0, h.pagingOp(pager, XENMEM_paging_op_prep, 5, 7, h.bufferHandle()));
        assertEquals(PagingMemory.P2M_RAM_RW, h.type(7));
        assertArrayEquals(saved, h.mem.frame(7).toArray(ValueLayout.JAVA_BYTE));
        assertEquals(tot0, h.mem.totPages());
        assertEquals(0, h.paging.pagedPages(h.dom));
    }

    /** gfns beyond the p2m (64 frames here): Xen's lookup yields p2m_invalid with no mfn, so nominate/evict -EBUSY, prep -ENOENT. */
    @Test void outOfRangeGfnsGetXensErrnosAndTheRingKeepsWorking() throws Exception {
        enable();
        h.bufferPage().fill((byte) 0x33);
        long tot0 = h.mem.totPages();
        for (long gfn : new long[] {64, 65, 1L << 40, 1L << 52, Long.MAX_VALUE, -1L}) {
            String g = "gfn 0x" + Long.toHexString(gfn);
            assertEquals(-XenErrno.EBUSY, h.pagingOp(pager, XENMEM_paging_op_nominate, 5, gfn, 0), g);
            assertEquals(-XenErrno.EBUSY, h.pagingOp(pager, XENMEM_paging_op_evict, 5, gfn, 0), g);
            assertEquals(-XenErrno.ENOENT, h.pagingOp(pager, XENMEM_paging_op_prep, 5, gfn, h.bufferHandle()), g);
            assertEquals(-XenErrno.EFAULT, h.fault(gfn, 1).get(10, TimeUnit.SECONDS), "a guest fault on " + g);
        }
        assertEquals(tot0, h.mem.totPages(), "nothing allocated or freed");
        assertEquals(0, h.paging.pagedPages(h.dom));
        pageOut(12, (byte) 0x12);
        assertEquals(PagingMemory.P2M_PAGED, h.type(12), "the pager still pages");
    }

    /** RING_RESPONSE_PROD_OVERFLOW: a pager that moves rsp_prod 2^31 ahead must not stall the dispatch thread. */
    @Test void aPagerThatLiesAboutRspProdDoesNotStallTheHypervisor() throws Exception {
        int port = enable();
        BackRing back = attachBack();
        kick(port);
        pageOut(11, (byte) 0x11);
        CompletableFuture<Integer> f = h.fault(11, 3);
        h.onDispatch(() -> 0); // the fault has run and pushed its request
        MemorySegment buf = Arena.ofAuto().allocate(376);
        assertTrue(back.takeRequest(buf));
        try (FileChannel ch = FileChannel.open(dir.resolve("dom5.vmring"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment page = ch.map(FileChannel.MapMode.READ_WRITE, 0, 4096, Arena.ofAuto());
            page.set(U32_UNALIGNED, org.fallow.abi.ring.SharedRing.RSP_PROD_OFFSET, 0x7FFF_FFFF);
        }
        kick(port); // returns: at most one ring of slots is read (slot 0 still holds the request, the others are zeros)
        assertEquals(0, h.pagingOp(pager, XENMEM_paging_op_nominate, 5, 12, 0), "still serving");
        assertEquals(0, f.get(10, TimeUnit.SECONDS), "the slot still held the request's vcpu/flags: the vcpu retries");
    }

    @Test void evictFailsWithEbusyIfTheGuestTouchedThePageAfterNomination() throws Exception {
        int port = enable();
        BackRing back = attachBack();
        kick(port);
        assertEquals(0, h.pagingOp(pager, XENMEM_paging_op_nominate, 5, 9, 0));
        CompletableFuture<Integer> touch = h.fault(9, 2); // the guest touches the nominated page
        assertEquals(PagingMemory.P2M_PAGING_IN, h.onDispatch(() -> h.type(9)));
        assertEquals(-XenErrno.EBUSY, h.pagingOp(pager, XENMEM_paging_op_evict, 5, 9, 0));
        // The request says EVICT_FAIL; the page kept its frame, so the response alone makes it RAM again.
        MemorySegment buf = Arena.ofAuto().allocate(376);
        VmEventRequest ev = new VmEventRequest().wrap(buf);
        assertTrue(back.takeRequest(buf));
        assertEquals(VmEventConstants.MEM_PAGING_EVICT_FAIL, ev.pagingFlags());
        assertEquals(PagingMemory.P2M_PAGING_OUT, ev.p2mt());
        back.putResponse(buf);
        back.pushResponses();
        kick(port);
        assertEquals(0, touch.get(10, TimeUnit.SECONDS));
        assertEquals(PagingMemory.P2M_RAM_RW, h.type(9));
        // An access in flight (the guest's count in the p2m word) also blocks nominate and evict.
        h.mem.casP2mWord(10, h.mem.p2mWord(10), PagingMemory.withType(PagingMemory.INFLIGHT_ONE, PagingMemory.P2M_RAM_RW));
        assertEquals(-XenErrno.EBUSY, h.pagingOp(pager, XENMEM_paging_op_nominate, 5, 10, 0));
        h.mem.casP2mWord(10, PagingMemory.withType(PagingMemory.INFLIGHT_ONE, PagingMemory.P2M_RAM_RW), PagingMemory.withType(0, PagingMemory.P2M_RAM_RW));
        assertEquals(0, h.pagingOp(pager, XENMEM_paging_op_nominate, 5, 10, 0));
        h.mem.casP2mWord(10, PagingMemory.withType(0, PagingMemory.P2M_PAGING_OUT), PagingMemory.withType(PagingMemory.INFLIGHT_ONE, PagingMemory.P2M_PAGING_OUT));
        assertEquals(-XenErrno.EBUSY, h.pagingOp(pager, XENMEM_paging_op_evict, 5, 10, 0));
    }

    /**
     * Real xenpaging's "page already populated" answer, under the response-version compatibility switch: only gfn,
     * vcpu_id and flags are set, version, reason and u.mem_paging.flags are stack garbage. A nominated-then-touched
     * page (paging_in with its frame, e.g. its pager was killed between nominate and evict) must become RAM on it, or
     * the vcpu faults on it forever.
     */
    @Test void anUnversionedResponseUnderTheCompatSwitchResumesANominatedThenTouchedPage() throws Exception {
        pager = new Caller(Caller.Role.TOOLSTACK, 0, AbiProfile.XEN_4_12, h.arenaSpace(), pagerPeer, 1);
        int port = enable();
        BackRing back = attachBack();
        kick(port);
        h.mem.frame(9).fill((byte) 0x99);
        assertEquals(0, h.pagingOp(pager, XENMEM_paging_op_nominate, 5, 9, 0));
        CompletableFuture<Integer> touch = h.fault(9, 2);
        assertEquals(PagingMemory.P2M_PAGING_IN, h.onDispatch(() -> h.type(9)));
        MemorySegment buf = Arena.ofAuto().allocate(VmEventRequest.SIZE, 8);
        assertTrue(back.takeRequest(buf));
        MemorySegment rsp = Arena.ofAuto().allocate(VmEventRequest.SIZE, 8);
        new VmEventRequest().wrap(rsp).clear().version(1).reason(9).vcpuId(2).flags(VmEventConstants.VM_EVENT_FLAG_VCPU_PAUSED).gfn(9)
                .pagingFlags(VmEventConstants.MEM_PAGING_DROP_PAGE); // garbage in reason and u.mem_paging.flags
        back.putResponse(rsp);
        back.pushResponses();
        kick(port);
        assertEquals(0, touch.get(10, TimeUnit.SECONDS));
        assertEquals(PagingMemory.P2M_RAM_RW, h.type(9), "the page is RAM again, with its frame");
        assertEquals((byte) 0x99, h.mem.frame(9).get(ValueLayout.JAVA_BYTE, 100));
    }

    @Test void faultOnPagedGfnSendsAVersion4RequestAndPausesUntilTheResponse() throws Exception {
        int port = enable();
        BackRing back = attachBack();
        pageOut(11, (byte) 0x11);
        pagerPeer.events.drainPermits();
        CompletableFuture<Integer> f = h.fault(11, 3);
        assertTrue(pagerPeer.events.tryAcquire(10, TimeUnit.SECONDS), "the pager is notified");
        MemorySegment raw = back.sring().entry(0);
        assertEquals(4, raw.get(U32_UNALIGNED, 0), "version");
        assertEquals(VmEventConstants.VM_EVENT_FLAG_VCPU_PAUSED, raw.get(U32_UNALIGNED, VmEventRequest.FLAGS_OFFSET));
        assertEquals(3, raw.get(U32_UNALIGNED, VmEventRequest.REASON_OFFSET), "reason MEM_PAGING");
        assertEquals(3, raw.get(U32_UNALIGNED, VmEventRequest.VCPU_ID_OFFSET), "vcpu_id");
        assertEquals(11, raw.get(U64_UNALIGNED, VmEventRequest.MEM_PAGING_GFN_OFFSET), "gfn");
        assertEquals(PagingMemory.P2M_PAGED, raw.get(U32_UNALIGNED, VmEventRequest.MEM_PAGING_P2MT_OFFSET), "old p2m type");
        assertEquals(1, back.sring().reqProd());
        assertFalse(f.isDone(), "vcpu paused");

        MemorySegment buf = Arena.ofAuto().allocate(376);
        VmEventRequest ev = new VmEventRequest().wrap(buf);
        back.takeRequest(buf);
        // A response with xenpaging 4.12's uninitialised version is dropped: the vcpu stays paused.
        ev.version(0);
        back.putResponse(buf);
        back.pushResponses();
        kick(port);
        assertFalse(h.onDispatch(f::isDone));
        assertEquals(1, h.paging.pausedAccesses(h.dom));
        // The correct pager preps the page and answers with version 4.
        h.bufferPage().fill((byte) 0x11);
        assertEquals(0, h.pagingOp(pager, XENMEM_paging_op_prep, 5, 11, h.bufferHandle()));
        MemorySegment rsp = back.nextResponse();
        new VmEventRequest().wrap(rsp).clear().version(4).reason(3).vcpuId(3).flags(VmEventConstants.VM_EVENT_FLAG_VCPU_PAUSED).gfn(11);
        // (the earlier dropped response consumed a request slot; this one answers the same request again)
        back.commitResponse();
        back.pushResponses();
        kick(port);
        assertEquals(0, f.get(10, TimeUnit.SECONDS));
        assertEquals(PagingMemory.P2M_RAM_RW, h.type(11));
        assertEquals((byte) 0x11, h.mem.frame(11).get(ValueLayout.JAVA_BYTE, 4095));
    }

    @Test void aFullRingLosesNoRequest() throws Exception {
        int port = enable();
        BackRing back = attachBack();
        kick(port);
        int n = 14;
        for (int i = 0; i < n; i++) pageOut(20 + i, (byte) (20 + i));
        List<CompletableFuture<Integer>> faults = new ArrayList<>();
        for (int i = 0; i < n; i++) faults.add(h.fault(20 + i, i));
        h.onDispatch(() -> 0);
        assertEquals(8, back.unconsumedRequests(), "the ring holds 8");
        assertEquals(n - 8, (int) h.onDispatch(() -> h.paging.queuedRequests(h.dom)), "the rest wait in the hypervisor");
        MemorySegment buf = Arena.ofAuto().allocate(376);
        VmEventRequest ev = new VmEventRequest().wrap(buf);
        java.util.Set<Long> seen = new java.util.HashSet<>();
        while (seen.size() < n) {
            assertTrue(pagerPeer.events.tryAcquire(10, TimeUnit.SECONDS) || back.hasUnconsumedRequests());
            while (back.takeRequest(buf)) {
                long gfn = ev.gfn();
                assertTrue(seen.add(gfn), "each request once");
                h.bufferPage().fill((byte) gfn);
                assertEquals(0, h.pagingOp(pager, XENMEM_paging_op_prep, 5, gfn, h.bufferHandle()));
                ev.version(4).reason(3); // flags (VCPU_PAUSED) and vcpu_id copied from the request
                back.putResponse(buf);
            }
            back.pushResponses();
            kick(port);
        }
        for (int i = 0; i < n; i++) {
            assertEquals(0, faults.get(i).get(10, TimeUnit.SECONDS), "vcpu " + i);
            assertEquals((byte) (20 + i), h.mem.frame(20 + i).get(ValueLayout.JAVA_BYTE, 7));
        }
        assertEquals(0, (int) h.onDispatch(() -> h.paging.queuedRequests(h.dom)));
    }

    @Test void aNewPagerTakesOverTheRingOfADeadOneAndIsAskedAgain() throws Exception {
        int port = enable();
        BackRing back = attachBack();
        kick(port);
        pageOut(30, (byte) 30);
        CompletableFuture<Integer> f = h.fault(30, 1);
        h.onDispatch(() -> 0);
        assertEquals(1, back.unconsumedRequests());
        pagerPeer.open = false; // the pager died holding the request
        TestPeer second = new TestPeer("pager2");
        Caller pager2 = h.toolstack(second);
        long[] r = h.vmEvent(pager2, 5, XEN_VM_EVENT_ENABLE, XEN_DOMCTL_VM_EVENT_OP_PAGING);
        assertEquals(0, r[0]);
        BackRing back2 = attachBack();
        assertEquals(0, back2.unconsumedRequests(), "nothing is placed before the new pager shows life");
        assertEquals(0, (int) h.onDispatch(() -> h.evtchn.remoteSend(second, (int) r[1])));
        assertEquals(1, back2.unconsumedRequests());
        MemorySegment buf = Arena.ofAuto().allocate(376);
        VmEventRequest ev = new VmEventRequest().wrap(buf);
        back2.takeRequest(buf);
        assertEquals(30, ev.gfn());
        assertEquals(1, ev.vcpuId());
        h.bufferPage().fill((byte) 30);
        assertEquals(0, h.pagingOp(pager2, XENMEM_paging_op_prep, 5, 30, h.bufferHandle()));
        back2.putResponse(buf);
        back2.pushResponses();
        assertEquals(0, (int) h.onDispatch(() -> h.evtchn.remoteSend(second, (int) r[1])));
        assertEquals(0, f.get(10, TimeUnit.SECONDS));
    }

    @Test void dropPageTellsThePagerAndFixesAccounting() throws Exception {
        int port = enable();
        BackRing back = attachBack();
        kick(port);
        pageOut(40, (byte) 1);
        assertEquals(1, h.paging.pagedPages(h.dom));
        // what the memory subsystem's guest_remove_page does before calling the hook
        h.onDispatch(() -> {
            h.mem.casP2mWord(40, PagingMemory.withType(0, PagingMemory.P2M_PAGED), PagingMemory.withType(0, PagingMemory.P2M_INVALID));
            h.mem.pagedPagesAdd(-1);
            h.paging.dropPage(h.dom, 40, PagingMemory.P2M_PAGED);
            return 0;
        });
        assertEquals(0, h.paging.pagedPages(h.dom));
        MemorySegment buf = Arena.ofAuto().allocate(376);
        VmEventRequest ev = new VmEventRequest().wrap(buf);
        assertTrue(back.takeRequest(buf));
        assertEquals(40, ev.gfn());
        assertEquals(VmEventConstants.MEM_PAGING_DROP_PAGE, ev.pagingFlags());
        assertEquals(0, ev.flags() & VmEventConstants.VM_EVENT_FLAG_VCPU_PAUSED);
        assertEquals(0, ev.p2mt(), "Xen's drop-page request leaves p2mt 0");
        assertEquals(0, ev.vcpuId());
    }

    @Test void dropPageByTheToolstackIsForeign() throws Exception {
        int port = enable();
        BackRing back = attachBack();
        kick(port);
        pageOut(41, (byte) 2);
        h.onDispatch(() -> {
            h.mem.casP2mWord(41, PagingMemory.withType(0, PagingMemory.P2M_PAGED), PagingMemory.withType(0, PagingMemory.P2M_INVALID));
            h.mem.pagedPagesAdd(-1);
            h.paging.dropPage(h.dom, 41, PagingMemory.P2M_PAGED, true);
            return 0;
        });
        MemorySegment buf = Arena.ofAuto().allocate(376);
        VmEventRequest ev = new VmEventRequest().wrap(buf);
        assertTrue(back.takeRequest(buf));
        assertEquals(41, ev.gfn());
        assertEquals(VmEventConstants.VM_EVENT_FLAG_FOREIGN, ev.flags(), "FOREIGN only: no vcpu is paused");
        assertEquals(VmEventConstants.MEM_PAGING_DROP_PAGE, ev.pagingFlags());
        assertEquals(0, ev.p2mt());
    }

    @Test void version7RingHas400ByteEntriesAndWantsVersion7Responses() throws Exception {
        h.close();
        h = new PagingHarness(dir, 64, 4, VmEventConstants.VM_EVENT_INTERFACE_VERSION_4_17);
        pager = h.toolstack(pagerPeer);
        int port = enable();
        BackRing back = attachBack(VmEventRequest.SIZE_V7);
        assertEquals(8, back.size());
        kick(port);
        pageOut(12, (byte) 12);
        pageOut(13, (byte) 13);
        CompletableFuture<Integer> f12 = h.fault(12, 0);
        CompletableFuture<Integer> f13 = h.fault(13, 1);
        h.onDispatch(() -> 0);
        MemorySegment page = back.sring().page();
        assertEquals(7, page.get(U32_UNALIGNED, org.fallow.abi.ring.SharedRing.HEADER_LENGTH), "request 0 stamped version 7");
        long entry0 = org.fallow.abi.ring.SharedRing.HEADER_LENGTH, entry1 = entry0 + VmEventRequest.SIZE_V7;
        assertEquals(400, VmEventRequest.SIZE_V7, "a version 7 request is 400 bytes");
        assertEquals(12, page.get(U64_UNALIGNED, entry0 + VmEventRequest.MEM_PAGING_GFN_OFFSET));
        assertEquals(7, page.get(U32_UNALIGNED, entry1 + VmEventRequest.VERSION_OFFSET), "request 1 at 64 + 400");
        assertEquals(13, page.get(U64_UNALIGNED, entry1 + VmEventRequest.MEM_PAGING_GFN_OFFSET));
        MemorySegment buf = Arena.ofAuto().allocate(VmEventRequest.SIZE_V7);
        VmEventRequest ev = new VmEventRequest().wrap(buf);
        for (int i = 0; i < 2; i++) {
            back.takeRequest(buf);
            h.bufferPage().fill((byte) ev.gfn());
            assertEquals(0, h.pagingOp(pager, XENMEM_paging_op_prep, 5, ev.gfn(), h.bufferHandle()));
            ev.version(i == 0 ? 4 : 7); // a 4.12-versioned response is dropped by a 4.17 hypervisor
            back.putResponse(buf);
        }
        back.pushResponses();
        kick(port);
        assertEquals(0, f13.get(10, TimeUnit.SECONDS));
        assertFalse(h.onDispatch(f12::isDone), "the version-4 response was dropped");
    }
}
