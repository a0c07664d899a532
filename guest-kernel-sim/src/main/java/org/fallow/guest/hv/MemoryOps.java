package org.fallow.guest.hv;

import static org.fallow.abi.Hypercalls.DOMID_SELF;

/**
 * The guest's {@code __HYPERVISOR_memory_op} (12) calls used by the balloon driver. Reservation ops return the number
 * of extents completed (Xen never returns an errno for them); extents are single 4 KiB frames (extent_order 0), named
 * by gfn, for DOMID_SELF.
 */
public interface MemoryOps {

    /** Populates gfns[0..n) (balloon deflate); returns how many were populated, in order. */
    long populatePhysmap(long[] gfns, int n);

    /** Releases gfns[0..n) to the hypervisor (balloon inflate); returns how many were released, in order. */
    long decreaseReservation(long[] gfns, int n);

    /** d->tot_pages of this domain, or a negated errno. */
    long currentReservation();

    /** d->max_pages of this domain, or a negated errno. */
    long maximumReservation();
}
