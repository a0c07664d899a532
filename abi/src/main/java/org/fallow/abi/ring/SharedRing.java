package org.fallow.abi.ring;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static org.fallow.abi.xen.XenLayouts.U32;

/**
 * The shared page of an io/ring.h ring ({@code struct <name>_sring}), as {@code DEFINE_RING_TYPES} lays it out.
 * Two processes (the emulated Xen and the pager) map the same page, so every index access is a volatile /
 * release-acquire access on the shared segment; entries are written with plain accesses and published by the
 * release store of the producer index, as {@code xen_wmb(); sring->req_prod = ...} does.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |                       req_prod (RING_IDX)                     |  0
 * +---------------------------------------------------------------+
 * |                       req_event                               |  4
 * +---------------------------------------------------------------+
 * |                       rsp_prod                                |  8
 * +---------------------------------------------------------------+
 * |                       rsp_event                               | 12
 * +---------------------------------------------------------------+
 * |                       pvt (pvt_pad[4])                        | 16
 * +---------------------------------------------------------------+
 * |                       __pad[44]                               | 20..63
 * +---------------------------------------------------------------+
 * |                ring[0] (entry_size bytes) ...                 | 64
 * </pre>
 *
 * All indices are free-running unsigned 32-bit counters ({@code RING_IDX}); Java ints wrap the same way, and every
 * comparison below is done on differences, as the C macros do. Byte order is little-endian (x86).
 */
public final class SharedRing {
    public static final int REQ_PROD_OFFSET = 0;
    public static final int REQ_EVENT_OFFSET = 4;
    public static final int RSP_PROD_OFFSET = 8;
    public static final int RSP_EVENT_OFFSET = 12;
    public static final int PVT_OFFSET = 16;
    public static final int PAD_OFFSET = 20;
    public static final int PAD_LENGTH = 44;
    /** Offset of ring[0]: the header is 64 bytes on every architecture. */
    public static final int HEADER_LENGTH = 64;

    private static final VarHandle IDX = U32.varHandle();

    private final MemorySegment page;
    private final int entrySize;
    private final int size;

    /** A view of the shared ring in {@code page} (usually 4096 bytes) with entries of {@code entrySize} bytes. */
    public SharedRing(MemorySegment page, int entrySize) {
        if (entrySize <= 0) throw new IllegalArgumentException("entry size " + entrySize);
        if (page.address() % 4 != 0) throw new IllegalArgumentException("ring page must be 4-byte aligned");
        this.page = page;
        this.entrySize = entrySize;
        this.size = ringSize(page.byteSize(), entrySize);
        if (size < 1) throw new IllegalArgumentException("page of " + page.byteSize() + " bytes holds no " + entrySize + "-byte entry");
    }

    /** {@code __RING_SIZE}: (page − 64) / entry rounded down to a power of two (8 for vm_event in 4096 bytes). */
    public static int ringSize(long pageSize, int entrySize) {
        long n = (pageSize - HEADER_LENGTH) / entrySize;
        return n <= 0 ? 0 : Integer.highestOneBit((int) Math.min(n, 1 << 30));
    }

    /** {@code SHARED_RING_INIT}: producers 0, events 1, pvt and padding zeroed. Entries are left alone. */
    public void init() {
        IDX.setVolatile(page, (long) REQ_PROD_OFFSET, 0);
        IDX.setVolatile(page, (long) RSP_PROD_OFFSET, 0);
        IDX.setVolatile(page, (long) REQ_EVENT_OFFSET, 1);
        IDX.setVolatile(page, (long) RSP_EVENT_OFFSET, 1);
        page.asSlice(PVT_OFFSET, 4 + PAD_LENGTH).fill((byte) 0);
        VarHandle.fullFence();
    }

    public MemorySegment page() { return page; }

    public int size() { return size; }

    public int entrySize() { return entrySize; }

    /** Byte offset of the entry that index {@code idx} names: 64 + (idx & (size − 1)) × entry_size. */
    public long entryOffset(int idx) { return HEADER_LENGTH + (long) (idx & (size - 1)) * entrySize; }

    /** The entry that index {@code idx} names. */
    public MemorySegment entry(int idx) { return page.asSlice(entryOffset(idx), entrySize); }

    public int reqProd() { return (int) IDX.getAcquire(page, (long) REQ_PROD_OFFSET); }
    public int rspProd() { return (int) IDX.getAcquire(page, (long) RSP_PROD_OFFSET); }
    public int reqEvent() { return (int) IDX.getVolatile(page, (long) REQ_EVENT_OFFSET); }
    public int rspEvent() { return (int) IDX.getVolatile(page, (long) RSP_EVENT_OFFSET); }

    /** Publishes requests: entries written before are visible to the other side before the index (xen_wmb). */
    void reqProdRelease(int v) { IDX.setRelease(page, (long) REQ_PROD_OFFSET, v); }
    void rspProdRelease(int v) { IDX.setRelease(page, (long) RSP_PROD_OFFSET, v); }
    void reqEventVolatile(int v) { IDX.setVolatile(page, (long) REQ_EVENT_OFFSET, v); }
    void rspEventVolatile(int v) { IDX.setVolatile(page, (long) RSP_EVENT_OFFSET, v); }

    /** {@code (RING_IDX)(new − event) < (RING_IDX)(new − old)}: did the push cross the other side's event index? */
    static boolean crossed(int newIdx, int oldIdx, int event) {
        return Integer.compareUnsigned(newIdx - event, newIdx - oldIdx) < 0;
    }
}
