package org.fallow.guest.hv;

/** A guest access to its own memory failed for good (the domain crashed, or the gfn is not guest RAM). */
public final class PhysMemFault extends RuntimeException {
    private final long gfn;

    public PhysMemFault(long gfn, String why) {
        super(String.format("guest memory access to gfn 0x%x failed: %s", gfn, why));
        this.gfn = gfn;
    }

    public long gfn() { return gfn; }
}
