package org.fallow.hypervisor.core;

import java.lang.foreign.MemorySegment;

/**
 * Resolves guest handles (XEN_GUEST_HANDLE values) of one caller to memory the hypervisor reads and writes in place,
 * as Xen's copy_from_guest/copy_to_guest do. A handle that is NULL, out of range, or (for a guest) names a frame that
 * is not accessible RAM yields {@link GuestFault}, which handlers turn into -EFAULT.
 */
public interface GuestAddressSpace {
    /** A writable view of {@code len} bytes at {@code handle}; the view is only valid during the hypercall. */
    MemorySegment map(long handle, long len) throws GuestFault;

    /** An address space in which every handle faults (a caller with no memory registered). */
    GuestAddressSpace NONE = (handle, len) -> { throw new GuestFault(handle, len, "caller has no guest memory"); };
}
