package org.fallow.guest.mem;

/** A guest access failed for good: the hypervisor answered the MEM_FAULT with a negated Xen errno. */
public final class GuestAccessException extends RuntimeException {
    private final long gfn;
    private final long status;

    public GuestAccessException(long gfn, long status, String why) {
        super(String.format("access to gfn 0x%x failed (%d): %s", gfn, status, why));
        this.gfn = gfn;
        this.status = status;
    }

    public long gfn() { return gfn; }

    /** The FAULT_DONE status (negated Xen errno), or 0 if the failure was local (e.g. the transport broke). */
    public long status() { return status; }
}
