package org.fallow.xc;

import java.io.IOException;
import org.fallow.abi.xen.DomctlConstants;

/**
 * The few domain-building calls the tmem end-to-end tests need (createdomain, max_mem, populate_physmap,
 * unpause, destroydomain), through the toolstack encoder ({@link XcHandle#calls()}).
 */
final class RawToolstack {

    private RawToolstack() {}

    /** createdomain (HVM + HAP, 1 vCPU): returns the new domid or a negated errno. */
    static int createDomain(XcHandle xc, byte[] handle) throws IOException {
        return (int) xc.calls().createDomain(0, handle, DomctlConstants.XEN_DOMCTL_CDF_hvm | DomctlConstants.XEN_DOMCTL_CDF_hap, 1);
    }

    /** max_mem. */
    static long maxMem(XcHandle xc, int domid, long kb) throws IOException { return xc.calls().setMaxMem(domid, kb); }

    static long destroy(XcHandle xc, int domid) throws IOException { return xc.calls().destroy(domid); }

    static long unpause(XcHandle xc, int domid) throws IOException { return xc.calls().unpause(domid); }

    /** populate_physmap of gfns [0, n): returns the extents done. */
    static long populate(XcHandle xc, int domid, int n) throws IOException {
        long[] gfns = new long[n];
        for (int i = 0; i < n; i++) gfns[i] = i;
        return xc.calls().populate(domid, 0, gfns);
    }
}
