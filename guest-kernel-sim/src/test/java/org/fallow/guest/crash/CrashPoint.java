package org.fallow.guest.crash;

/**
 * The named points where {@link CrashAgent} kills or stalls a process: a class, a method in it, and whether the
 * point is on the way in (before the method's body) or on the way out (after it returned). The methods exist so that
 * these points exist: each is a step boundary of the real code path, not a test hook.
 */
public enum CrashPoint {
    /** xenpaging: a victim's bytes are in the page file, its slot-index entry is not (PageFile.write). */
    PAGER_PAGE_WRITTEN("pager.page-written", "org.fallow.xc.xenpaging.PageFile", "writeData", true),
    /** xenpaging: a batch was evicted by the hypervisor; the pager has not recorded it (XenPaging.evictPages). */
    PAGER_EVICTED("pager.evicted", "org.fallow.xc.xenpaging.XcPagingHost", "evictAll", true),
    /** xenpaging: a faulting gfn was paged back in (prep), its ring response is not yet written (XenPaging.drainRequests). */
    PAGER_BEFORE_RESPONSE("pager.before-response", "org.fallow.xc.xenpaging.XenPaging", "putResponse", false),
    /** guest: a frontswap store wrote its tmem_op and is about to issue the put (Frontswap.store → tmem.putPage). */
    GUEST_FRONTSWAP_BEFORE_PUT("guest.frontswap-before-put", "org.fallow.guest.hv.HypercallTmemOps", "putPage", false),
    /** guest: the hypervisor answered a frontswap put; frontswap has not recorded the page (Frontswap.store). */
    GUEST_FRONTSWAP_AFTER_PUT("guest.frontswap-after-put", "org.fallow.guest.hv.HypercallTmemOps", "putPage", true),
    /** hypervisor: inside a multicall, after one of its entries ran and before the next (MulticallHypercall.invoke). */
    HYPERVISOR_MULTICALL_ENTRY("hypervisor.multicall-entry", "org.fallow.hypervisor.core.HypervisorCore", "dispatch", true);

    public final String label;
    public final String className;
    public final String method;
    /** true: after the method returned; false: before its body runs. */
    public final boolean onExit;

    CrashPoint(String label, String className, String method, boolean onExit) {
        this.label = label;
        this.className = className;
        this.method = method;
        this.onExit = onExit;
    }

    /** Only counted inside a multicall (the hypervisor point: a nested dispatch is a multicall entry). */
    public boolean insideMulticallOnly() { return this == HYPERVISOR_MULTICALL_ENTRY; }

    public static CrashPoint byLabel(String label) {
        for (CrashPoint p : values()) if (p.label.equals(label)) return p;
        throw new IllegalArgumentException("no crash point " + label);
    }
}
