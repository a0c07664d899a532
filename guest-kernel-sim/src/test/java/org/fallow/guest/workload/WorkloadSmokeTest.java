package org.fallow.guest.workload;

import org.fallow.guest.hv.SegmentPhysMem;
import org.fallow.guest.mm.GuestKernel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each workload runs to completion on a small guest with no tmem, keeping every page's data intact. */
class WorkloadSmokeTest {
    @ParameterizedTest
    @ValueSource(strings = {"zipf-files", "anon-grow", "kbuild"})
    @Timeout(60)
    void runsToCompletionWithIntactData(String name) {
        GuestKernel k = new GuestKernel(SegmentPhysMem.allocate(Arena.ofAuto(), 2048), 64);
        k.swapon(8192, new org.fallow.guest.tmem.Frontswap(null));
        Workload w = Workload.byName(name, 2048, 60_000);
        var r = new SplittableRandom(7);
        w.setup(k, r);
        int steps = 0;
        while (w.step(k, r)) steps++;
        assertTrue(steps > 0);
        assertTrue(w.ops() >= 1, "did work");
        assertEquals(0, k.stats().dataErrors);
        assertEquals(0, k.stats().oomKills);
        switch (name) {
            case "zipf-files" -> {
                assertTrue(k.stats().pageCacheHits > 0 && k.stats().pageCacheMisses > 0);
                assertTrue(k.stats().cacheEvictions > 0, "file set larger than the guest");
            }
            case "anon-grow" -> assertTrue(k.stats().swapOuts > 0 && k.stats().swapIns > 0);
            default -> assertTrue(k.stats().fileReads > 0 && k.stats().anonFaults > 0);
        }
    }

    @Test void zipfFavoursLowRanks() {
        Zipf z = new Zipf(1000, 1.0);
        var r = new SplittableRandom(1);
        int low = 0;
        for (int i = 0; i < 10_000; i++) if (z.sample(r) < 10) low++;
        // P(rank < 10) = H(10)/H(1000) ≈ 2.929/7.485 ≈ 0.39
        assertTrue(low > 3500 && low < 4300, "low ranks drawn " + low);
    }
}
