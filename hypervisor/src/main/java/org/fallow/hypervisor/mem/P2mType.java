package org.fallow.hypervisor.mem;

/**
 * Xen 4.12 {@code p2m_type_t} numbering (asm-x86/p2m.h), as stored in bits 0-7 of a shared p2m entry
 * (docs/PROTOCOL.md §3.3): the memory subsystem's short names for abi's {@link org.fallow.abi.xen.P2mType} numbers
 * (assigned from there, not typed again). Only {@link #RAM_RW} is present (accessible without a fault) for a guest vCPU.
 */
public final class P2mType {
    private P2mType() {}

    public static final int RAM_RW = org.fallow.abi.xen.P2mType.P2M_RAM_RW;
    public static final int INVALID = org.fallow.abi.xen.P2mType.P2M_INVALID;
    public static final int RAM_LOGDIRTY = org.fallow.abi.xen.P2mType.P2M_RAM_LOGDIRTY;
    public static final int RAM_RO = org.fallow.abi.xen.P2mType.P2M_RAM_RO;
    public static final int MMIO_DM = org.fallow.abi.xen.P2mType.P2M_MMIO_DM;
    public static final int MMIO_DIRECT = org.fallow.abi.xen.P2mType.P2M_MMIO_DIRECT;
    public static final int POPULATE_ON_DEMAND = org.fallow.abi.xen.P2mType.P2M_POPULATE_ON_DEMAND;
    public static final int GRANT_MAP_RW = org.fallow.abi.xen.P2mType.P2M_GRANT_MAP_RW;
    public static final int GRANT_MAP_RO = org.fallow.abi.xen.P2mType.P2M_GRANT_MAP_RO;
    public static final int RAM_PAGING_OUT = org.fallow.abi.xen.P2mType.P2M_RAM_PAGING_OUT;
    public static final int RAM_PAGED = org.fallow.abi.xen.P2mType.P2M_RAM_PAGED;
    public static final int RAM_PAGING_IN = org.fallow.abi.xen.P2mType.P2M_RAM_PAGING_IN;
    public static final int RAM_SHARED = org.fallow.abi.xen.P2mType.P2M_RAM_SHARED;

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
