package org.fallow.guest.mem;

import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.mem.DomainPhysmap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * No write is ever lost across demand populate and zero-page reclaim: 4 vCPU threads write, zero and verify frames of a
 * PoD guest whose cache is far smaller than its memory, so the hypervisor keeps reclaiming zero pages (eager and
 * sweep) while other vCPUs are writing. Every read is checked against the writer's own record of the frame.
 */
@Timeout(300)
class GuestMemoryStressTest {
    static final long M = 2048, T = 512;
    static final int VCPUS = 4, OPS = 6000, NONZERO_PER_VCPU = 24;
    @TempDir Path dir;

    @Test void checksumsSurvivePopulateAndReclaimOnSeveralVcpus() throws Exception {
        try (InProcessHv hv = new InProcessHv(dir, 16384)) {
            int d = hv.buildGuest(M, T);
            DomainPhysmap pm = hv.pm(d);
            AtomicLong verified = new AtomicLong();
            try (GuestMemory gm = hv.guestMemory(d)) {
                PodGuest g = new PodGuest(gm, M, VCPUS);
                g.onAllVcpus(v -> {
                    SplittableRandom rnd = new SplittableRandom(1234 + v);
                    // this vCPU owns the PoD gfns with gfn % VCPUS == v; version 0 = all zero
                    int owned = (int) ((M - PodGuest.VGA_END) / VCPUS);
                    long[] version = new long[owned];
                    int nonzero = 0;
                    for (int op = 0; op < OPS; op++) {
                        int i = rnd.nextInt(owned);
                        long gfn = PodGuest.VGA_END + (long) i * VCPUS + v;
                        int r = rnd.nextInt(100);
                        if (r < 40 && (version[i] != 0 || nonzero < NONZERO_PER_VCPU)) {
                            if (version[i] == 0) nonzero++;
                            version[i] = op + 1;
                            gm.fillPattern(gfn, version[i], v);
                        } else if (r < 65) {
                            if (version[i] != 0) nonzero--;
                            version[i] = 0;
                            gm.zero(gfn, v);
                        } else {
                            check(gm, gfn, version[i], v);
                            verified.incrementAndGet();
                        }
                    }
                    for (int i = 0; i < owned; i++) check(gm, PodGuest.VGA_END + (long) i * VCPUS + v, version[i], v);
                });
                assertEquals(Domain.State.RUNNING, hv.domain(d).state(), "the guest never ran out of PoD memory");
                assertTrue(pm.pod().stats().zeroReclaimed > 100, "reclaim really ran during the test: " + pm.pod());
                assertTrue(gm.faults() > 1000, "populates really ran during the test: " + gm.faults());
                assertEquals(T - 0x20, pm.totPages(), "populate and reclaim never change tot_pages");
                assertTrue(verified.get() > 0);
            }
        }
    }

    private static void check(GuestMemory gm, long gfn, long version, int vcpu) {
        long expect = version == 0 ? GuestMemory.crc(new byte[GuestMemory.PAGE]) : GuestMemory.crc(GuestMemory.pattern(gfn, version));
        assertEquals(expect, gm.checksum(gfn, vcpu), "gfn " + gfn + " version " + version);
    }
}
