package org.fallow.abi.xen;

/**
 * x86 p2m types (asm-x86/p2m.h). {@link #xen412()} is the 4.12 numbering (since d5688e96d6, 2011), the values that
 * appear in {@code vm_event_request.u.mem_paging.p2mt}; {@link #xen2009()} the 2009 numbering (ram_rw and invalid
 * swapped, {@code paging_in_start} at 12, shared at 13).
 */
public enum P2mType {
    RAM_RW(0, 1), INVALID(1, 0), RAM_LOGDIRTY(2, 2), RAM_RO(3, 3), MMIO_DM(4, 4), MMIO_DIRECT(5, 5),
    POPULATE_ON_DEMAND(6, 6), GRANT_MAP_RW(7, 7), GRANT_MAP_RO(8, 8), RAM_PAGING_OUT(9, 9), RAM_PAGED(10, 10),
    RAM_PAGING_IN(11, 11), RAM_SHARED(12, 13), RAM_BROKEN(13, -1), MAP_FOREIGN(14, -1), IOREQ_SERVER(15, -1),
    /** Only in the 2009 numbering (removed by af518d3ea1). */
    RAM_PAGING_IN_START(-1, 12);

    private final int xen412;
    private final int xen2009;

    P2mType(int xen412, int xen2009) {
        this.xen412 = xen412;
        this.xen2009 = xen2009;
    }

    /** The 4.12 value, or -1 if the type did not exist then. */
    public int xen412() { return xen412; }

    /** The 2009 (4.0/4.1) value, or -1 if the type did not exist then. */
    public int xen2009() { return xen2009; }

    public boolean isPaging() { return this == RAM_PAGING_OUT || this == RAM_PAGED || this == RAM_PAGING_IN; }

    public static P2mType from412(int value) {
        for (P2mType t : values()) if (t.xen412 == value && value >= 0) return t;
        throw new IllegalArgumentException("no 4.12 p2m type " + value);
    }

    public static P2mType from2009(int value) {
        for (P2mType t : values()) if (t.xen2009 == value && value >= 0) return t;
        throw new IllegalArgumentException("no 2009 p2m type " + value);
    }
}
