package org.fallow.abi.ring;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * The back end of an io/ring.h ring: consumes requests and produces responses (for vm_event that is the pager).
 * Private state as in {@code BACK_RING_INIT}: {@code rsp_prod_pvt} and {@code req_cons}. One thread owns it.
 */
public final class BackRing {
    private final SharedRing sring;
    private int rspProdPvt;
    private int reqCons;

    /** {@code BACK_RING_INIT}. */
    public BackRing(SharedRing sring) { this(sring, 0); }

    /** {@code BACK_RING_ATTACH}: resumes at {@code start} (a restarted pager attaches at the shared rsp_prod). */
    public BackRing(SharedRing sring, int start) {
        this.sring = sring;
        this.rspProdPvt = start;
        this.reqCons = start;
    }

    public SharedRing sring() { return sring; }
    public int size() { return sring.size(); }
    public int rspProdPvt() { return rspProdPvt; }
    public int reqCons() { return reqCons; }

    /**
     * {@code RING_HAS_UNCONSUMED_REQUESTS} as a count: min(req_prod − req_cons, size − (req_cons − rsp_prod_pvt)).
     * The second term keeps a misbehaving front end from making us overwrite responses not yet consumed.
     */
    public int unconsumedRequests() {
        int req = sring.reqProd() - reqCons;
        int rsp = sring.size() - (reqCons - rspProdPvt);
        return Integer.compareUnsigned(req, rsp) < 0 ? req : rsp;
    }

    public boolean hasUnconsumedRequests() { return unconsumedRequests() != 0; }

    /** Copies the request at req_cons into {@code into} and advances req_cons; false when there is none. */
    public boolean takeRequest(MemorySegment into) {
        if (!hasUnconsumedRequests()) return false;
        into.asSlice(0, sring.entrySize()).copyFrom(sring.entry(reqCons));
        reqCons++;
        return true;
    }

    /** What xenpaging does after taking requests: {@code sring->req_event = req_cons + 1}. */
    public void consumedRequests() { sring.reqEventVolatile(reqCons + 1); }

    /** The entry at {@code rsp_prod_pvt}, to be filled and then {@link #commitResponse()}d. */
    public MemorySegment nextResponse() { return sring.entry(rspProdPvt); }

    public void commitResponse() { rspProdPvt++; }

    /** Copies {@code response} into the slot at rsp_prod_pvt and advances it (responses never outrun requests). */
    public void putResponse(MemorySegment response) {
        if (rspProdPvt == reqCons) throw new IllegalStateException("response without a consumed request");
        sring.entry(rspProdPvt).copyFrom(response.asSlice(0, sring.entrySize()));
        rspProdPvt++;
    }

    /** {@code RING_PUSH_RESPONSES}. */
    public void pushResponses() { sring.rspProdRelease(rspProdPvt); }

    /** {@code RING_PUSH_RESPONSES_AND_CHECK_NOTIFY}. */
    public boolean pushResponsesAndCheckNotify() {
        int old = sring.rspProd();
        int now = rspProdPvt;
        sring.rspProdRelease(now);
        VarHandle.fullFence();
        return SharedRing.crossed(now, old, sring.rspEvent());
    }

    /** {@code RING_FINAL_CHECK_FOR_REQUESTS}: req_event = req_cons + 1, barrier, look again. */
    public boolean finalCheckForRequests() {
        if (hasUnconsumedRequests()) return true;
        sring.reqEventVolatile(reqCons + 1);
        VarHandle.fullFence();
        return hasUnconsumedRequests();
    }
}
