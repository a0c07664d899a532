package org.fallow.hypervisor.tmem;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

/** PageIndexMap against java.util.HashMap under random puts/removes (clustered and extreme keys). */
class PageIndexMapTest {
    @Test void behavesLikeAHashMap() {
        SplittableRandom r = new SplittableRandom(42);
        PageTable t = new PageTable();
        PageIndexMap m = new PageIndexMap(t);
        Map<Integer, Integer> ref = new HashMap<>();
        int[] pool = {0, 1, 2, 3, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, 64, 128, 4096};
        for (int i = 0; i < 200_000; i++) {
            int key = r.nextInt(4) == 0 ? pool[r.nextInt(pool.length)] : r.nextInt(r.nextBoolean() ? 40 : 5000);
            if (r.nextInt(3) == 0) {
                Integer was = ref.remove(key);
                assertEquals(was == null ? PageTable.NIL : was, m.remove(key), "remove " + key);
                if (was != null) t.free(was);
            } else {
                int p = t.allocate(0, key, 0);
                Integer was = ref.put(key, p);
                assertEquals(was == null ? PageTable.NIL : was, m.put(p), "put " + key);
                if (was != null) t.free(was);
            }
            assertEquals(ref.size(), m.size());
            if (i % 1000 == 0) {
                for (Map.Entry<Integer, Integer> e : ref.entrySet()) assertEquals(e.getValue(), m.get(e.getKey()));
                assertEquals(new HashSet<>(ref.values()), IntStream.of(m.values()).boxed().collect(Collectors.toSet()));
            }
        }
        for (Map.Entry<Integer, Integer> e : ref.entrySet()) assertEquals(e.getValue(), m.remove(e.getKey()));
        assertTrue(m.isEmpty());
        assertEquals(PageTable.NIL, m.get(7));
    }

    /**
     * Indices a guest chose so that all share one home slot at every capacity (equal top 12 bits of the hash): more
     * than {@link PageIndexMap#FAR} of them sit that far from home, where the map reads their keys back.
     */
    @Test void collidingIndicesFartherThanTheDistanceFieldStillBehave() {
        int[] keys = new int[400];
        int n = 0;
        for (int k = 0; n < keys.length; k++) if (PageIndexMap.mix(k) >>> 20 == 0x5A5) keys[n++] = k;
        PageTable t = new PageTable();
        PageIndexMap m = new PageIndexMap(t);
        Map<Integer, Integer> ref = new HashMap<>();
        for (int key : keys) {
            int p = t.allocate(0, key, 0);
            assertEquals(PageTable.NIL, m.put(p));
            ref.put(key, p);
        }
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 4000; i++) {
            int key = keys[r.nextInt(keys.length)];
            if (r.nextBoolean()) {
                Integer was = ref.remove(key);
                assertEquals(was == null ? PageTable.NIL : was, m.remove(key), "remove " + key);
                if (was != null) t.free(was);
            } else {
                int p = t.allocate(0, key, 0);
                Integer was = ref.put(key, p);
                assertEquals(was == null ? PageTable.NIL : was, m.put(p), "put " + key);
                if (was != null) t.free(was);
            }
            if (i % 100 == 0) for (int k : keys) assertEquals(ref.getOrDefault(k, PageTable.NIL), m.get(k), "get " + k);
        }
        assertEquals(ref.size(), m.size());
    }
}
