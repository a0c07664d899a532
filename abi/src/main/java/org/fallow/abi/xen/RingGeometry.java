package org.fallow.abi.xen;

/**
 * io/ring.h geometry: {@code __RING_SIZE} = round_down_pow2((page - 64) / entry). For 376-byte vm_event entries in a
 * 4096-byte page that is (4096 - 64) / 376 = 10, rounded down to 8. Indices are free-running 32-bit counters;
 * slot = idx &amp; (size - 1).
 */
public record RingGeometry(int pageSize, int entrySize, int ringSize) {
    /** The paging ring of Xen 4.12: 4096-byte page, 376-byte entries, 8 slots. */
    public static final RingGeometry VM_EVENT_4K = of(4096, VmEventRequest.SIZE);

    /** The same ring with Xen 4.17's vm_event v7 entries (400 bytes): still 8 slots. */
    public static final RingGeometry VM_EVENT_V7_4K = of(4096, VmEventRequest.SIZE_V7);

    public RingGeometry {
        if (ringSize <= 0 || Integer.bitCount(ringSize) != 1) throw new IllegalArgumentException("ring size " + ringSize);
    }

    public static RingGeometry of(int pageSize, int entrySize) {
        int fits = (pageSize - VmEventSring.HEADER_SIZE) / entrySize;
        if (fits < 1) throw new IllegalArgumentException("entry " + entrySize + " does not fit a " + pageSize + "-byte page");
        return new RingGeometry(pageSize, entrySize, Integer.highestOneBit(fits));
    }

    /** Slot of a free-running index. */
    public int slot(long idx) { return (int) (idx & (ringSize - 1)); }

    /** Byte offset, from the start of the ring page, of the entry for a free-running index. */
    public long entryOffset(long idx) { return VmEventSring.HEADER_SIZE + (long) slot(idx) * entrySize; }
}
