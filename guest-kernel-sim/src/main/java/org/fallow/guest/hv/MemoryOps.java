package org.fallow.guest.hv;

/**
 * The guest's {@code __HYPERVISOR_memory_op} (12) calls used by the balloon driver. Reservation ops return the number
 * of extents completed (Xen never returns an errno for them); extents are single 4 KiB frames (extent_order 0), named
 * by gfn, for DOMID_SELF.
 */
public interface MemoryOps {
    int XENMEM_INCREASE_RESERVATION = 0, XENMEM_DECREASE_RESERVATION = 1, XENMEM_CURRENT_RESERVATION = 3,
            XENMEM_MAXIMUM_RESERVATION = 4, XENMEM_POPULATE_PHYSMAP = 6;
    int DOMID_SELF = 0x7FF0;

    /** Populates gfns[0..n) (balloon deflate); returns how many were populated, in order. */
    long populatePhysmap(long[] gfns, int n);

    /** Releases gfns[0..n) to the hypervisor (balloon inflate); returns how many were released, in order. */
    long decreaseReservation(long[] gfns, int n);

    /** d->tot_pages of this domain, or a negated errno. */
    long currentReservation();

    /** d->max_pages of this domain, or a negated errno. */
    long maximumReservation();
}
