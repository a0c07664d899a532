package org.fallow.hypervisor.paging;

import org.fallow.abi.xen.VmEventConstants;
import org.fallow.abi.xen.VmEventRequest;

/**
 * A vm_event paging request the hypervisor owes the pager. It waits in {@link PagingDomain}'s queue until the ring
 * has a free slot (and the pager has attached), so a full ring delays requests but never loses one.
 */
record PagingRequest(long gfn, int oldType, int vcpuId, int flags, int pagingFlags) {
    void writeTo(VmEventRequest ev, int version) {
        ev.clear().version(version).flags(flags).reason(VmEventConstants.VM_EVENT_REASON_MEM_PAGING)
                .vcpuId(vcpuId).gfn(gfn).p2mt(oldType).pagingFlags(pagingFlags);
    }

    boolean pausesVcpu() { return (flags & VmEventConstants.VM_EVENT_FLAG_VCPU_PAUSED) != 0; }
}
