package org.fallow.guest.hv;

import static org.fallow.abi.Hypercalls.PAGE_SIZE;

/**
 * The guest frames reserved for hypercall arguments (the kernel's static hypercall buffers): one frame for the struct
 * ({@code tmem_op}, {@code xen_memory_reservation}, a domid), one for an extent list (512 xen_pfn_t). Handles passed to
 * the hypervisor are these frames' guest-physical addresses. Hypercalls are issued one at a time, as from one vCPU
 * holding the buffers' lock.
 */
public record HypercallArgs(long structGfn, long extentGfn) {
    public long structGpa() { return PhysMem.gpa(structGfn); }

    public long extentGpa() { return PhysMem.gpa(extentGfn); }

    /** Number of extents one extent frame holds (PAGE_SIZE / sizeof(xen_pfn_t)): Linux's balloon batch size. */
    public static final int EXTENTS_PER_FRAME = PAGE_SIZE / 8;
}
