package org.fallow.hypervisor.mem;

/**
 * Xen 4.12 {@code p2m_type_t} numbering (asm-x86/p2m.h), as stored in bits 0-7 of a shared p2m entry
 * (docs/PROTOCOL.md §3.3). Only {@link #RAM_RW} is present (accessible without a fault) for a guest vCPU.
 */
public final class P2mType {
    private P2mType() {}

    public static final int RAM_RW = 0;
    public static final int INVALID = 1;
    public static final int RAM_LOGDIRTY = 2;
    public static final int RAM_RO = 3;
    public static final int MMIO_DM = 4;
    public static final int MMIO_DIRECT = 5;
    public static final int POPULATE_ON_DEMAND = 6;
    public static final int GRANT_MAP_RW = 7;
    public static final int GRANT_MAP_RO = 8;
    public static final int RAM_PAGING_OUT = 9;
    public static final int RAM_PAGED = 10;
    public static final int RAM_PAGING_IN = 11;
    public static final int RAM_SHARED = 12;

    /** p2m_is_paging: paging_out, paged, paging_in. */
    public static boolean isPaging(int t) { return t == RAM_PAGING_OUT || t == RAM_PAGED || t == RAM_PAGING_IN; }

    /** p2m_is_ram (P2M_RAM_TYPES): rw, logdirty, ro, the paging types and shared. */
    public static boolean isRam(int t) {
        return t == RAM_RW || t == RAM_LOGDIRTY || t == RAM_RO || isPaging(t) || t == RAM_SHARED;
    }

    public static String name(int t) {
        return switch (t) {
            case RAM_RW -> "ram_rw"; case INVALID -> "invalid"; case RAM_LOGDIRTY -> "ram_logdirty";
            case RAM_RO -> "ram_ro"; case MMIO_DM -> "mmio_dm"; case MMIO_DIRECT -> "mmio_direct";
            case POPULATE_ON_DEMAND -> "populate_on_demand"; case GRANT_MAP_RW -> "grant_map_rw";
            case GRANT_MAP_RO -> "grant_map_ro"; case RAM_PAGING_OUT -> "ram_paging_out";
            case RAM_PAGED -> "ram_paged"; case RAM_PAGING_IN -> "ram_paging_in"; case RAM_SHARED -> "ram_shared";
            default -> "p2m_type#" + t;
        };
    }
}
