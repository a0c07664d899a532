package org.fallow.hypervisor.mem;

import org.fallow.hypervisor.core.GuestAddressSpace;
import org.fallow.hypervisor.core.GuestFault;

import java.lang.foreign.MemorySegment;

/**
 * A guest's handles are guest-physical addresses into {@code dom<D>.mem} (PROTOCOL §3.2). Like Xen's copy_from_guest
 * with P2M_ALLOC, mapping populates PoD frames (which can crash the domain) and asks the pager for paged-out ones
 * as the guest's vCPU would (VCPU_PAUSED; the access faults with -EFAULT). Every frame of the range is pinned until the hypercall is over, so reclaim and nominate
 * leave it alone meanwhile.
 */
public final class GuestPhysicalSpace implements GuestAddressSpace {
    private final DomainPhysmap pm;

    public GuestPhysicalSpace(DomainPhysmap pm) { this.pm = pm; }

    /**
     * guest_handle_okay: whether [handle, handle + len) lies inside guest memory, without touching (or populating)
     * any frame.
     */
    public boolean rangeOkay(long handle, long len) {
        long limit = pm.nrFrames() * GuestMemoryFile.PAGE;
        return len >= 0 && handle >= 0 && handle <= limit && len <= limit - handle;
    }

    @Override public MemorySegment map(long handle, long len) throws GuestFault {
        if (pm.dying()) throw new GuestFault(handle, len, "domain is dying");
        long limit = pm.nrFrames() * GuestMemoryFile.PAGE;
        if (len < 0 || handle < 0 || handle > limit || len > limit - handle)
            throw new GuestFault(handle, len, "outside guest memory (" + pm.nrFrames() + " frames)");
        if (len > 0) {
            for (long gfn = handle >>> 12, last = (handle + len - 1) >>> 12; gfn <= last; gfn++) {
                if (!pm.pinRam(gfn, true)) throw new GuestFault(handle, len, "gfn 0x" + Long.toHexString(gfn) + " is "
                        + P2mType.name(pm.p2m().type(gfn)));
            }
        }
        return pm.file().segment().asSlice(handle, len);
    }
}
