package org.fallow.hypervisor.tmem;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** PageIndexMap against java.util.HashMap under random puts/removes (clustered and extreme keys). */
class PageIndexMapTest {
    @Test void behavesLikeAHashMap() {
        SplittableRandom r = new SplittableRandom(42);
        PageIndexMap m = new PageIndexMap();
        Map<Integer, TmemPage> ref = new HashMap<>();
        int[] pool = {0, 1, 2, 3, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, 64, 128, 4096};
        for (int i = 0; i < 200_000; i++) {
            int key = r.nextInt(4) == 0 ? pool[r.nextInt(pool.length)] : r.nextInt(r.nextBoolean() ? 40 : 5000);
            if (r.nextInt(3) == 0) {
                assertSame(ref.remove(key), m.remove(key), "remove " + key);
            } else {
                TmemPage p = new TmemPage(null, key);
                assertSame(ref.put(key, p), m.put(key, p), "put " + key);
            }
            assertEquals(ref.size(), m.size());
            if (i % 1000 == 0) {
                for (Map.Entry<Integer, TmemPage> e : ref.entrySet()) assertSame(e.getValue(), m.get(e.getKey()));
                assertEquals(new HashSet<>(ref.values()), new HashSet<>(m.values()));
            }
        }
        for (Map.Entry<Integer, TmemPage> e : ref.entrySet()) assertSame(e.getValue(), m.remove(e.getKey()));
        assertTrue(m.isEmpty());
        assertNull(m.get(7));
    }
}
