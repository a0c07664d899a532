package org.fallow.abi.ring;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * The front end of an io/ring.h ring: produces requests and consumes responses (for vm_event that is Xen).
 * Private state as in {@code FRONT_RING_INIT}: {@code req_prod_pvt} and {@code rsp_cons}. Not thread-safe: one
 * thread owns a front end (the hypervisor's dispatch thread).
 */
public final class FrontRing {
    private final SharedRing sring;
    private int reqProdPvt;
    private int rspCons;

    /** {@code FRONT_RING_INIT}: starts at 0 (the shared page must have been through SHARED_RING_INIT). */
    public FrontRing(SharedRing sring) { this(sring, 0); }

    /** {@code FRONT_RING_ATTACH}: starts at index {@code start} for both private indices. */
    public FrontRing(SharedRing sring, int start) {
        this.sring = sring;
        this.reqProdPvt = start;
        this.rspCons = start;
    }

    public SharedRing sring() { return sring; }
    public int size() { return sring.size(); }
    public int reqProdPvt() { return reqProdPvt; }
    public int rspCons() { return rspCons; }

    /** {@code RING_FREE_REQUESTS}: size − (req_prod_pvt − rsp_cons). */
    public int freeRequests() { return sring.size() - (reqProdPvt - rspCons); }

    /** {@code RING_FULL}. */
    public boolean full() { return freeRequests() == 0; }

    /**
     * The entry at {@code req_prod_pvt} to fill in, or null when the ring is full (the producer must not overwrite
     * a slot the back end has not answered yet). Fill it, then call {@link #commitRequest()}.
     */
    public MemorySegment nextRequest() { return full() ? null : sring.entry(reqProdPvt); }

    /** Copies {@code request} into the next slot and advances req_prod_pvt; false (nothing written) when full. */
    public boolean putRequest(MemorySegment request) {
        MemorySegment slot = nextRequest();
        if (slot == null) return false;
        slot.copyFrom(request.asSlice(0, sring.entrySize()));
        reqProdPvt++;
        return true;
    }

    /** Advances req_prod_pvt after the caller filled {@link #nextRequest()}. */
    public void commitRequest() {
        if (full()) throw new IllegalStateException("ring full: no request slot was reserved");
        reqProdPvt++;
    }

    /** {@code RING_PUSH_REQUESTS}: write barrier, then req_prod = req_prod_pvt. */
    public void pushRequests() { sring.reqProdRelease(reqProdPvt); }

    /** {@code RING_PUSH_REQUESTS_AND_CHECK_NOTIFY}: publishes and tells whether the back end asked to be notified. */
    public boolean pushRequestsAndCheckNotify() {
        int old = sring.reqProd();
        int now = reqProdPvt;
        sring.reqProdRelease(now);
        VarHandle.fullFence();
        return SharedRing.crossed(now, old, sring.reqEvent());
    }

    /**
     * Responses produced by the back end and not consumed yet: rsp_prod − rsp_cons, but rsp_cons never runs more
     * than one ring past req_prod_pvt. Xen's front end does not bound this; here a buggy or hostile back end that
     * moves rsp_prod far ahead ({@link #responseProdOverflow()}) cannot make the front end loop over 2^31 entries,
     * while a back end that answers a request twice (see PagingEngineTest) is still read as Xen reads it.
     */
    public int unconsumedResponses() {
        int rsp = sring.rspProd() - rspCons;
        int room = reqProdPvt + sring.size() - rspCons; // 0..size + outstanding requests
        return Integer.compareUnsigned(rsp, room) <= 0 ? rsp : room;
    }

    /** {@code RING_RESPONSE_PROD_OVERFLOW}: the back end claims more responses than there can be (ill-behaved). */
    public boolean responseProdOverflow() { return Integer.compareUnsigned(sring.rspProd() - rspCons, sring.size()) > 0; }

    public boolean hasUnconsumedResponses() { return unconsumedResponses() != 0; }

    /**
     * Copies the response at rsp_cons into {@code into} and advances rsp_cons; false when there is none.
     * Xen then sets rsp_event = rsp_cons + 1 ({@link #consumedResponses()}).
     */
    public boolean takeResponse(MemorySegment into) {
        if (!hasUnconsumedResponses()) return false;
        into.asSlice(0, sring.entrySize()).copyFrom(sring.entry(rspCons));
        rspCons++;
        return true;
    }

    /** What vm_event.c does after taking a response: {@code sring->rsp_event = rsp_cons + 1}. */
    public void consumedResponses() { sring.rspEventVolatile(rspCons + 1); }

    /**
     * {@code RING_FINAL_CHECK_FOR_RESPONSES}: if nothing is pending, ask to be notified of the next response
     * (rsp_event = rsp_cons + 1), full barrier, then look again (closes the race with a concurrent push).
     */
    public boolean finalCheckForResponses() {
        if (hasUnconsumedResponses()) return true;
        sring.rspEventVolatile(rspCons + 1);
        VarHandle.fullFence();
        return hasUnconsumedResponses();
    }
}
