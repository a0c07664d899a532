package org.fallow.abi.xen;

/** hvm/hvm_op.h and hvm/params.h: the {@code __HYPERVISOR_hvm_op} (34) subcommands and HVM params Fallow serves. */
public final class HvmOpConstants {
    private HvmOpConstants() {}

    /** HVMOP_set_param / HVMOP_get_param take a {@code struct xen_hvm_param}. */
    public static final int HVMOP_set_param = 0, HVMOP_get_param = 1;

    /** HVM_NR_PARAMS at 4.12: an index at or above it gets -EINVAL. */
    public static final int HVM_NR_PARAMS = 39;
    /** The vm_event ring gfns (params.h); libxc's domain builder sets PAGING_RING_PFN. */
    public static final int HVM_PARAM_PAGING_RING_PFN = 27, HVM_PARAM_MONITOR_RING_PFN = 28,
            HVM_PARAM_SHARING_RING_PFN = 29;
}
