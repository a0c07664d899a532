package org.fallow.xc.xen;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;

/**
 * Test kit for the tests that run Debian's real Xen 4.17 tools: the package cache (and, when asked, the privcmd bridge)
 * made ready, or the test aborted as skipped — and failed instead under CI=true, where the packages must be had.
 */
public final class RealXenKit {
    private RealXenKit() {}

    /** The ready package cache; with {@code withBridge} the bridge library is built into it too. */
    public static XenPackages packagesOrAbort(boolean withBridge) throws InterruptedException {
        XenPackages pkgs = XenPackages.fromEnvironment(System.getenv(), System.err);
        try {
            pkgs.ensure();
            if (withBridge) XenBridge.ensureBuilt(pkgs.cache());
        } catch (IOException e) {
            String why = "Debian's Xen 4.17 packages" + (withBridge ? " or the bridge" : "") + " are not available: " + e.getMessage();
            if (System.getenv("CI") != null) fail(why);
            Assumptions.abort(why);
        }
        return pkgs;
    }
}
