package org.fallow.hypervisor.mem;

import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.GuestFault;
import org.fallow.hypervisor.core.HypervisorCore;

import java.lang.foreign.MemorySegment;
import java.util.Set;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;
import static org.fallow.abi.xen.HvmOpConstants.HVMOP_get_param;
import static org.fallow.abi.xen.HvmOpConstants.HVMOP_set_param;
import static org.fallow.abi.xen.HvmOpConstants.HVM_NR_PARAMS;
import static org.fallow.hypervisor.mem.MemConstants.*;

/**
 * {@code __HYPERVISOR_hvm_op} (34): HVMOP_set_param (0) and HVMOP_get_param (1) on
 * {@code struct xen_hvm_param {u16 domid; u16 pad; u32 index; u64 value}} (16 bytes). Errors as Xen 4.12:
 * -EFAULT, index ≥ HVM_NR_PARAMS -EINVAL, -ESRCH, non-HVM -EINVAL, another domain's or a toolstack-only param
 * from a guest -EPERM. Other HVMOPs: -ENOSYS.
 */
final class HvmParamOps {
    /** hvm_allow_set_param: what a guest may set on itself. */
    private static final Set<Integer> GUEST_SETTABLE = Set.of(0, 2, 8, 15, 19, 34, 36, 37);
    /** hvm_allow_get_param: what a guest may read about itself. */
    private static final Set<Integer> GUEST_READABLE = Set.of(0, 1, 2, 4, 5, 6, 8, 15, 19, 26, 34, 35, 36, 37);

    private final GuestMemoryEngine mem;

    HvmParamOps(GuestMemoryEngine mem) { this.mem = mem; }

    void register(HypervisorCore core) { core.registerHypercall(Hypercalls.HVM_OP, this::hvmOp); }

    private long hvmOp(Caller c, long[] args) {
        long op = args[0];
        if (op != HVMOP_set_param && op != HVMOP_get_param) return -XenErrno.ENOSYS;
        boolean set = op == HVMOP_set_param;
        MemorySegment a;
        try {
            a = c.memory().map(args[1], HVM_PARAM_SIZE);
        } catch (GuestFault f) {
            return -XenErrno.EFAULT;
        }
        int index = a.get(U32_UNALIGNED, HVM_PARAM_INDEX);
        if (Integer.toUnsignedLong(index) >= HVM_NR_PARAMS) return -XenErrno.EINVAL;
        Domain d = mem.core().domains().resolve(c, Short.toUnsignedInt(a.get(U16_UNALIGNED, HVM_PARAM_DOMID)));
        DomainPhysmap pm = d == null ? null : GuestMemoryEngine.physmap(d);
        if (pm == null) return -XenErrno.ESRCH;
        if (!pm.hvm()) return -XenErrno.EINVAL;
        if (!c.privileged()) {
            if (c.domid() != d.domid()) return -XenErrno.EPERM;
            if (!(set ? GUEST_SETTABLE : GUEST_READABLE).contains(index)) return -XenErrno.EPERM;
        }
        if (set) pm.hvmParam(index, a.get(U64_UNALIGNED, HVM_PARAM_VALUE));
        else a.set(U64_UNALIGNED, HVM_PARAM_VALUE, pm.hvmParam(index));
        return 0;
    }
}
