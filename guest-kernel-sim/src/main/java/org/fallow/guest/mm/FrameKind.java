package org.fallow.guest.mm;

/** What a guest frame currently holds. */
public enum FrameKind {
    /** On the allocator's free list. */
    FREE,
    /** Kernel image, memmap, hypercall buffers: never reclaimed, not in totalram. */
    KERNEL,
    /** A page-cache page of some file. */
    PAGE_CACHE,
    /** An anonymous page of some process. */
    ANON,
    /** Given back to the hypervisor by the balloon driver (not owned by the guest). */
    BALLOONED,
    /** Not guest RAM at all (the VGA hole of an HVM guest): never touched, never owned. */
    HOLE;

    static final FrameKind[] VALUES = values();
}
