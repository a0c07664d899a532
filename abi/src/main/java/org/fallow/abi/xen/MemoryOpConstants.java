package org.fallow.abi.xen;

/** memory.h: XENMEM_* subcommands of {@code __HYPERVISOR_memory_op} (12), the cmd encoding and XENMEMF_* flags. */
public final class MemoryOpConstants {
    private MemoryOpConstants() {}

    public static final int XENMEM_increase_reservation = 0, XENMEM_decrease_reservation = 1,
            XENMEM_maximum_ram_page = 2, XENMEM_current_reservation = 3, XENMEM_maximum_reservation = 4,
            XENMEM_machphys_mfn_list = 5, XENMEM_populate_physmap = 6, XENMEM_add_to_physmap = 7,
            XENMEM_exchange = 11, XENMEM_maximum_gpfn = 14, XENMEM_remove_from_physmap = 15,
            XENMEM_set_pod_target = 16, XENMEM_get_pod_target = 17, XENMEM_get_sharing_freed_pages = 18,
            XENMEM_get_sharing_shared_pages = 19, XENMEM_paging_op = 20, XENMEM_access_op = 21,
            XENMEM_sharing_op = 22, XENMEM_claim_pages = 24;

    /** cmd &amp; MEMOP_CMD_MASK is the subcommand; cmd &gt;&gt; MEMOP_EXTENT_SHIFT the extent to resume from. */
    public static final int MEMOP_EXTENT_SHIFT = 6, MEMOP_CMD_MASK = (1 << MEMOP_EXTENT_SHIFT) - 1;

    // XENMEMF_* bits of xen_memory_reservation.mem_flags
    public static final int XENMEMF_ADDRESS_BITS_MASK = 0xff;
    public static final int XENMEMF_populate_on_demand = 1 << 16;
    public static final int XENMEMF_exact_node_request = 1 << 17;
    public static final int XENMEMF_vnode = 1 << 18;

    // XENMEM_paging_op_*
    public static final int XENMEM_paging_op_nominate = 0, XENMEM_paging_op_evict = 1, XENMEM_paging_op_prep = 2;

    public static int XENMEMF_address_bits(int bits) { return bits & XENMEMF_ADDRESS_BITS_MASK; }
    public static int XENMEMF_node(int node) { return ((node + 1) & 0xff) << 8; }
    /** 0xFF ("no node") when the node field is 0. */
    public static int XENMEMF_get_node(int flags) { return ((flags >>> 8) - 1) & 0xff; }
    public static int XENMEMF_exact_node(int node) { return XENMEMF_node(node) | XENMEMF_exact_node_request; }

    public static int cmd(long memopCmd) { return (int) (memopCmd & MEMOP_CMD_MASK); }
    public static long startExtent(long memopCmd) { return memopCmd >>> MEMOP_EXTENT_SHIFT; }
    /** The cmd Xen re-issues for a continuation: {@code op | (nr_done << 6)}. */
    public static long continuation(int op, long nrDone) { return op | (nrDone << MEMOP_EXTENT_SHIFT); }

    public static String name(long memopCmd) {
        return switch (cmd(memopCmd)) {
            case XENMEM_increase_reservation -> "increase_reservation";
            case XENMEM_decrease_reservation -> "decrease_reservation";
            case XENMEM_maximum_ram_page -> "maximum_ram_page";
            case XENMEM_current_reservation -> "current_reservation";
            case XENMEM_maximum_reservation -> "maximum_reservation";
            case XENMEM_populate_physmap -> "populate_physmap";
            case XENMEM_exchange -> "exchange";
            case XENMEM_maximum_gpfn -> "maximum_gpfn";
            case XENMEM_set_pod_target -> "set_pod_target";
            case XENMEM_get_pod_target -> "get_pod_target";
            case XENMEM_paging_op -> "paging_op";
            case XENMEM_claim_pages -> "claim_pages";
            default -> "memory_op#" + cmd(memopCmd);
        };
    }
}
