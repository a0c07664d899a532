package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;

/**
 * {@code struct vm_event_sring} (io/ring.h {@code DEFINE_RING_TYPES(vm_event, ...)}): the 64-byte shared-ring
 * header at the start of the paging ring page, followed by the entries ({@code ring[]}, declared {@code ring[1]},
 * so C's {@code sizeof} is 64 + one entry = 440).
 * <pre>
 * vm_event_sring (440 bytes)
 * offset size  member                type
 *      0    4  req_prod              le32
 *      4    4  req_event             le32
 *      8    4  rsp_prod              le32
 *     12    4  rsp_event             le32
 *     16    4  pvt                   union
 *     16    1    netif               struct
 *     16    1      smartpoll_active  byte
 *     16    1    tapif_user          struct
 *     16    1      msg               byte
 *     16    4    pvt_pad             byte[4]
 *     20   44  __pad                 byte[44]
 *     64  376  ring                  vm_event_st[1]
 * </pre>
 * The flyweight covers the header ({@link #size()} = {@link #HEADER_SIZE}); entries are addressed with
 * {@link RingGeometry}. Accesses here are plain (no fences); ring code adds the barriers.
 */
public final class VmEventSring extends Flyweight<VmEventSring> {
    public static final StructLayout LAYOUT = struct("vm_event_sring",
            u32("req_prod"),
            u32("req_event"),
            u32("rsp_prod"),
            u32("rsp_event"),
            union("pvt",
                    struct("netif", u8("smartpoll_active")),
                    struct("tapif_user", u8("msg")),
                    array("pvt_pad", 4, U8)),
            array("__pad", 44, U8),
            array("ring", 1, VmEventRequest.LAYOUT));
    /** C {@code sizeof(struct vm_event_sring)}: header plus one declared entry. */
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int REQ_PROD_OFFSET = offsetOf(LAYOUT, "req_prod");
    public static final int REQ_EVENT_OFFSET = offsetOf(LAYOUT, "req_event");
    public static final int RSP_PROD_OFFSET = offsetOf(LAYOUT, "rsp_prod");
    public static final int RSP_EVENT_OFFSET = offsetOf(LAYOUT, "rsp_event");
    public static final int PVT_OFFSET = offsetOf(LAYOUT, "pvt");
    public static final int PAD_OFFSET = offsetOf(LAYOUT, "__pad");
    public static final int RING_OFFSET = offsetOf(LAYOUT, "ring");
    public static final int HEADER_SIZE = RING_OFFSET;

    @Override public int size() { return HEADER_SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long reqProd() { return getU32(REQ_PROD_OFFSET); }
    public VmEventSring reqProd(long v) { putU32(REQ_PROD_OFFSET, v); return this; }
    public long reqEvent() { return getU32(REQ_EVENT_OFFSET); }
    public VmEventSring reqEvent(long v) { putU32(REQ_EVENT_OFFSET, v); return this; }
    public long rspProd() { return getU32(RSP_PROD_OFFSET); }
    public VmEventSring rspProd(long v) { putU32(RSP_PROD_OFFSET, v); return this; }
    public long rspEvent() { return getU32(RSP_EVENT_OFFSET); }
    public VmEventSring rspEvent(long v) { putU32(RSP_EVENT_OFFSET, v); return this; }

    /** {@code SHARED_RING_INIT}: producers 0, events 1, pvt and __pad zeroed. */
    public VmEventSring sharedRingInit() {
        clear();
        return reqEvent(1).rspEvent(1);
    }
}
