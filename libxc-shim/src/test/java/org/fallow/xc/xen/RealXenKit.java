package org.fallow.xc.xen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.fallow.abi.wire.RunDirectory;

import static org.junit.jupiter.api.Assertions.assertTrue;
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

    /**
     * Waits for the hypervisor of {@code runDir} to bind {@code xenstored.sock} (right after its main socket) and
     * returns its path; fails with {@code log} once {@code alive} says the hypervisor is gone or after 600 polls
     * (bounded by work, not by a deadline).
     */
    public static Path awaitXenstoredSocket(Path runDir, BooleanSupplier alive, Supplier<String> log) throws InterruptedException {
        Path sock = runDir.resolve(RunDirectory.XENSTORED_SOCKET_NAME);
        for (int i = 0; i < 600 && !Files.exists(sock) && alive.getAsBoolean(); i++) Thread.sleep(50);
        assertTrue(Files.exists(sock), () -> "no " + sock + "\n" + log.get());
        return sock;
    }
}
