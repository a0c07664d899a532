package org.fallow.abi.xen;

/**
 * x86 p2m types (asm-x86/p2m.h). {@link #xen412()} is the 4.12 numbering (since d5688e96d6, 2011), the values that
 * appear in {@code vm_event_request.u.mem_paging.p2mt}; {@link #xen2009()} the 2009 numbering (ram_rw and invalid
 * swapped, {@code paging_in_start} at 12, shared at 13).
 */
public enum P2mType {
    RAM_RW(P2mType.P2M_RAM_RW, 1), INVALID(P2mType.P2M_INVALID, 0), RAM_LOGDIRTY(P2mType.P2M_RAM_LOGDIRTY, 2),
    RAM_RO(P2mType.P2M_RAM_RO, 3), MMIO_DM(P2mType.P2M_MMIO_DM, 4), MMIO_DIRECT(P2mType.P2M_MMIO_DIRECT, 5),
    POPULATE_ON_DEMAND(P2mType.P2M_POPULATE_ON_DEMAND, 6), GRANT_MAP_RW(P2mType.P2M_GRANT_MAP_RW, 7),
    GRANT_MAP_RO(P2mType.P2M_GRANT_MAP_RO, 8), RAM_PAGING_OUT(P2mType.P2M_RAM_PAGING_OUT, 9),
    RAM_PAGED(P2mType.P2M_RAM_PAGED, 10), RAM_PAGING_IN(P2mType.P2M_RAM_PAGING_IN, 11),
    RAM_SHARED(P2mType.P2M_RAM_SHARED, 13), RAM_BROKEN(P2mType.P2M_RAM_BROKEN, -1),
    MAP_FOREIGN(P2mType.P2M_MAP_FOREIGN, -1), IOREQ_SERVER(P2mType.P2M_IOREQ_SERVER, -1),
    /** Only in the 2009 numbering (removed by af518d3ea1). */
    RAM_PAGING_IN_START(-1, 12);

    /**
     * The 4.12 numbers as int constants (for switch labels and the p2m entry's type byte): the one declaration the
     * hypervisor, the guest and the pager use.
     */
    public static final int P2M_RAM_RW = 0, P2M_INVALID = 1, P2M_RAM_LOGDIRTY = 2, P2M_RAM_RO = 3, P2M_MMIO_DM = 4,
            P2M_MMIO_DIRECT = 5, P2M_POPULATE_ON_DEMAND = 6, P2M_GRANT_MAP_RW = 7, P2M_GRANT_MAP_RO = 8,
            P2M_RAM_PAGING_OUT = 9, P2M_RAM_PAGED = 10, P2M_RAM_PAGING_IN = 11, P2M_RAM_SHARED = 12,
            P2M_RAM_BROKEN = 13, P2M_MAP_FOREIGN = 14, P2M_IOREQ_SERVER = 15;

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
