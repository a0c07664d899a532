package org.fallow.abi.ring;

import java.lang.foreign.MemorySegment;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;

/**
 * The fields of {@code vm_event_request_t} / {@code vm_event_response_t} (vm_event.h, 376 bytes, interface version 4)
 * that a memory-paging event uses, over one ring entry. Everything after byte 40 stays zero for paging.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |                         version (= 4)                         |  0
 * +---------------------------------------------------------------+
 * |                         flags (VM_EVENT_FLAG_*)               |  4
 * +---------------------------------------------------------------+
 * |                         reason (MEM_PAGING = 3)               |  8
 * +---------------------------------------------------------------+
 * |                         vcpu_id                               | 12
 * +-------------------------------+-------------------------------+
 * |         altp2m_idx            |         _pad[3] ...           | 16
 * +-------------------------------+-------------------------------+
 * |                          ... _pad                             | 20
 * +---------------------------------------------------------------+
 * |                   u.mem_paging.gfn (u64)                      | 24
 * |                                                               |
 * +---------------------------------------------------------------+
 * |                   u.mem_paging.p2mt (old p2m type)            | 32
 * +---------------------------------------------------------------+
 * |                   u.mem_paging.flags (MEM_PAGING_*)           | 36
 * +---------------------------------------------------------------+
 * |           rest of u (16) + data (320): zero for paging        | 40..375
 * </pre>
 */
public final class MemPagingEvent {
    /** sizeof(vm_event_request_t) at interface version 4 (Xen 4.12). */
    public static final int SIZE = 376;
    /** sizeof(vm_event_request_t) at interface version 7 (Xen 4.17): same header, larger register union. */
    public static final int SIZE_V7 = 400;
    public static final int VERSION_OFFSET = 0;
    public static final int FLAGS_OFFSET = 4;
    public static final int REASON_OFFSET = 8;
    public static final int VCPU_ID_OFFSET = 12;
    public static final int ALTP2M_IDX_OFFSET = 16;
    public static final int GFN_OFFSET = 24;
    public static final int P2MT_OFFSET = 32;
    public static final int PAGING_FLAGS_OFFSET = 36;

    /** VM_EVENT_INTERFACE_VERSION at 4.12. */
    public static final int VERSION_4_12 = 4;
    /** VM_EVENT_INTERFACE_VERSION at 4.17 (optional profile). */
    public static final int VERSION_4_17 = 7;
    public static final int REASON_MEM_PAGING = 3;
    public static final int FLAG_VCPU_PAUSED = 1;
    public static final int FLAG_FOREIGN = 1 << 1;
    /** u.mem_paging.flags */
    public static final int MEM_PAGING_DROP_PAGE = 1;
    public static final int MEM_PAGING_EVICT_FAIL = 1 << 1;

    private MemorySegment seg;

    /** Entry size of interface {@code version} (4 → 376, 7 → 400). */
    public static int entrySize(int version) {
        return switch (version) {
            case VERSION_4_12 -> SIZE;
            case VERSION_4_17 -> SIZE_V7;
            default -> throw new IllegalArgumentException("vm_event interface version " + version + " is not supported (4 or 7)");
        };
    }

    /** Wraps exactly one ring entry (or a buffer of one entry's size). */
    public MemPagingEvent wrap(MemorySegment entry) {
        if (entry.byteSize() < SIZE) throw new IllegalArgumentException("vm_event entry needs 376 bytes, got " + entry.byteSize());
        this.seg = entry;
        return this;
    }

    public MemorySegment segment() { return seg; }

    /** Zeroes the whole wrapped entry (Xen builds requests with a designated initializer). */
    public MemPagingEvent clear() { seg.fill((byte) 0); return this; }

    public int version() { return seg.get(U32_UNALIGNED, VERSION_OFFSET); }
    public MemPagingEvent version(int v) { seg.set(U32_UNALIGNED, VERSION_OFFSET, v); return this; }
    public int flags() { return seg.get(U32_UNALIGNED, FLAGS_OFFSET); }
    public MemPagingEvent flags(int v) { seg.set(U32_UNALIGNED, FLAGS_OFFSET, v); return this; }
    public int reason() { return seg.get(U32_UNALIGNED, REASON_OFFSET); }
    public MemPagingEvent reason(int v) { seg.set(U32_UNALIGNED, REASON_OFFSET, v); return this; }
    public int vcpuId() { return seg.get(U32_UNALIGNED, VCPU_ID_OFFSET); }
    public MemPagingEvent vcpuId(int v) { seg.set(U32_UNALIGNED, VCPU_ID_OFFSET, v); return this; }
    public int altp2mIdx() { return seg.get(U16_UNALIGNED, ALTP2M_IDX_OFFSET) & 0xFFFF; }
    public long gfn() { return seg.get(U64_UNALIGNED, GFN_OFFSET); }
    public MemPagingEvent gfn(long v) { seg.set(U64_UNALIGNED, GFN_OFFSET, v); return this; }
    public int p2mt() { return seg.get(U32_UNALIGNED, P2MT_OFFSET); }
    public MemPagingEvent p2mt(int v) { seg.set(U32_UNALIGNED, P2MT_OFFSET, v); return this; }
    public int pagingFlags() { return seg.get(U32_UNALIGNED, PAGING_FLAGS_OFFSET); }
    public MemPagingEvent pagingFlags(int v) { seg.set(U32_UNALIGNED, PAGING_FLAGS_OFFSET, v); return this; }

    @Override public String toString() {
        return String.format("vm_event{v%d flags 0x%x reason %d vcpu %d gfn 0x%x p2mt %d pflags 0x%x}",
                version(), flags(), reason(), vcpuId(), gfn(), p2mt(), pagingFlags());
    }
}
