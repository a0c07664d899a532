package org.fallow.abi.ring;

import org.fallow.abi.xen.VmEventRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;

import static org.fallow.abi.xen.XenLayouts.U32;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Front and back end on two threads over one shared page: every request answered once, in order, intact. A side with
 * nothing to do yields its CPU (on a busy 2-core machine a spinning side would starve the other); the timeout is only
 * a hang guard.
 */
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class RingConcurrencyTest {
    @Test void twoThreadsExchangeEveryEventInOrderAcrossIndexWrap() throws Exception {
        MemorySegment page = Arena.ofShared().allocate(4096, 4096);
        SharedRing sring = new SharedRing(page, VmEventRequest.SIZE);
        sring.init();
        int start = -50_000; // the 32-bit indices wrap during the run
        page.set(U32, SharedRing.REQ_PROD_OFFSET, start);
        page.set(U32, SharedRing.RSP_PROD_OFFSET, start);
        FrontRing front = new FrontRing(sring, start);
        BackRing back = new BackRing(sring, start);
        int n = 80_000; // > 50_000: the indices pass 2^32
        CompletableFuture<Long> backend = CompletableFuture.supplyAsync(() -> {
            MemorySegment e = Arena.ofAuto().allocate(VmEventRequest.SIZE, 8);
            VmEventRequest ev = new VmEventRequest().wrap(e);
            long expected = 0;
            while (expected < n) {
                boolean any = false;
                while (back.takeRequest(e)) {
                    if (ev.gfn() != expected || ev.p2mt() != (int) (expected * 7)) throw new IllegalStateException("request " + expected + " got " + ev);
                    ev.vcpuId((int) (expected & 0xFFFF)).version(4);
                    back.putResponse(e);
                    expected++;
                    any = true;
                }
                if (any) back.pushResponses();
                else if (!back.finalCheckForRequests()) Thread.yield();
            }
            return expected;
        }, r -> new Thread(r, "back").start());
        MemorySegment e = Arena.ofAuto().allocate(VmEventRequest.SIZE, 8);
        VmEventRequest ev = new VmEventRequest().wrap(e);
        long sent = 0, got = 0;
        while (got < n) {
            while (sent < n && !front.full()) {
                ev.clear().gfn(sent).p2mt((int) (sent * 7));
                front.putRequest(e);
                sent++;
            }
            front.pushRequests();
            while (front.takeResponse(e)) {
                assertEquals(got, ev.gfn());
                assertEquals(4, ev.version());
                assertEquals((int) (got & 0xFFFF), ev.vcpuId());
                got++;
            }
            Thread.yield();
        }
        assertEquals(n, backend.get());
        assertEquals(start + n, sring.reqProd());
        assertEquals(start + n, sring.rspProd());
    }
}
