package org.fallow.hypervisor.mem;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** PinnedFrames against java.util.HashSet over many hypercalls' worth of pins (repeats, growth, clear). */
class PinnedFramesTest {
    @Test void behavesLikeAHashSetAcrossClears() {
        SplittableRandom r = new SplittableRandom(11);
        PinnedFrames p = new PinnedFrames();
        for (int call = 0; call < 300; call++) {
            Set<Long> ref = new HashSet<>();
            List<Long> order = new ArrayList<>();
            int pins = call % 50 == 0 ? 5000 : r.nextInt(200); // now and then a hypercall pinning many frames
            for (int i = 0; i < pins; i++) {
                long gfn = r.nextBoolean() ? r.nextInt(64) : r.nextLong(1L << 40);
                boolean fresh = ref.add(gfn);
                if (fresh) order.add(gfn);
                assertEquals(fresh, p.add(gfn), "add " + gfn);
            }
            assertEquals(ref.size(), p.size());
            List<Long> seen = new ArrayList<>();
            p.forEach(seen::add);
            assertEquals(order, seen, "each pinned gfn once, in pin order");
            p.clear();
            assertEquals(0, p.size());
        }
        assertTrue(p.add(0), "an empty set after clear");
        assertFalse(p.add(0));
        assertThrows(IllegalArgumentException.class, () -> p.add(-1));
    }
}
