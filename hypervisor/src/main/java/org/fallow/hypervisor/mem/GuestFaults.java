package org.fallow.hypervisor.mem;

import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.MemoryFaultHandler;

/**
 * The EPT-violation path (MEM_FAULT frames): a guest vCPU found gfn's shared p2m entry not present. PoD gfns are
 * demand-populated (or the domain crashes: "Dom<D> out of PoD memory!"), paging types go to the domain's
 * {@link PagingHook}, anything else fails with -EFAULT.
 */
final class GuestFaults implements MemoryFaultHandler {
    @Override public void onFault(Domain d, long gfn, boolean write, int vcpu, Reply reply) {
        DomainPhysmap pm = GuestMemoryEngine.physmap(d);
        if (pm == null || pm.dying()) {
            reply.failed(-XenErrno.ESRCH, "d" + d.domid() + " has no memory (dying)");
            return;
        }
        if (d.state() == Domain.State.CRASHED) {
            reply.failed(-XenErrno.EFAULT, "d" + d.domid() + " crashed: " + d.crashReason());
            return;
        }
        P2m p2m = pm.p2m();
        if (!p2m.contains(gfn)) {
            reply.failed(-XenErrno.EFAULT, "gfn 0x" + Long.toHexString(gfn) + " outside d" + d.domid() + "'s "
                    + p2m.nrFrames() + " frames");
            return;
        }
        int t = p2m.type(gfn);
        if (t == P2mType.RAM_RW) {
            reply.resolved();
        } else if (t == P2mType.POPULATE_ON_DEMAND) {
            if (pm.pod().demandPopulate(gfn)) reply.resolved();
            else reply.failed(-XenErrno.ENOMEM, d.crashReason() != null ? d.crashReason() : "PoD populate failed");
        } else if (P2mType.isPaging(t)) {
            PagingHook hook = pm.pagingHook();
            if (hook != null) hook.guestFault(d, gfn, t, write, vcpu, reply);
            else reply.failed(-XenErrno.EFAULT, "gfn 0x" + Long.toHexString(gfn) + " is " + P2mType.name(t) + " and no pager is attached");
        } else {
            reply.failed(-XenErrno.EFAULT, "gfn 0x" + Long.toHexString(gfn) + " is " + P2mType.name(t));
        }
    }
}
