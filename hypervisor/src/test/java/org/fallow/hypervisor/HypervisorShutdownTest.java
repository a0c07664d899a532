package org.fallow.hypervisor;

import org.fallow.hypervisor.testing.InProcessToolstack;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Closing the hypervisor destroys the domains still alive: their memory files leave the run directory. */
@Timeout(60)
class HypervisorShutdownTest {
    @TempDir Path dir;

    @Test void closeDestroysRemainingDomainsAndRemovesTheirFiles() {
        Hypervisor hv = Hypervisor.create(16, dir);
        int d;
        try (InProcessToolstack ts = new InProcessToolstack(hv.core(), 1 << 20)) {
            d = ts.createHvmDomain(new byte[16], 1, 512);
            assertTrue(d > 0, "created: " + d);
            ts.buildHvm(d, 512, 256);
            assertTrue(Files.exists(dir.resolve("dom" + d + ".mem")));
            assertTrue(Files.exists(dir.resolve("dom" + d + ".p2m")));
            assertTrue(hv.core().host().freePages() < hv.core().host().totalPages());
        }
        hv.close();
        assertFalse(Files.exists(dir.resolve("dom" + d + ".mem")), "memory file removed");
        assertFalse(Files.exists(dir.resolve("dom" + d + ".p2m")), "p2m file removed");
        assertNull(hv.core().domains().get(d));
        assertEquals(hv.core().host().totalPages(), hv.core().host().freePages(), "every page back to the host");
    }
}
