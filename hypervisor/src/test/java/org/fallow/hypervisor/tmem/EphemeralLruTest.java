package org.fallow.hypervisor.tmem;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.fallow.hypervisor.tmem.PageTable.NIL;
import static org.junit.jupiter.api.Assertions.*;

/** LRU order through the int links of the page table: global and per-client lists, touch and reassign. */
class EphemeralLruTest {
    private final PageTable t = new PageTable();
    private final EphemeralLru lru = new EphemeralLru(t);
    private final TmemClient a = new TmemClient(1, false), b = new TmemClient(2, false);

    private List<Integer> global() {
        List<Integer> out = new ArrayList<>();
        for (int p = lru.oldest(); p != NIL; p = lru.newer(p)) out.add(p);
        return out;
    }

    private List<Integer> of(TmemClient c) {
        List<Integer> out = new ArrayList<>();
        for (int p = c.lruHead; p != NIL; p = lru.newerOfClient(p)) out.add(p);
        return out;
    }

    @Test void appendRemoveTouchKeepBothOrders() {
        int p1 = t.allocate(0, 1, 0), p2 = t.allocate(0, 2, 0), p3 = t.allocate(0, 3, 0), p4 = t.allocate(0, 4, 0);
        lru.append(p1, a);
        lru.append(p2, b);
        lru.append(p3, a);
        lru.append(p4, b);
        assertEquals(List.of(p1, p2, p3, p4), global());
        assertEquals(List.of(p1, p3), of(a));
        assertEquals(List.of(p2, p4), of(b));
        lru.touch(p1, a);
        assertEquals(List.of(p2, p3, p4, p1), global());
        assertEquals(List.of(p3, p1), of(a));
        assertEquals(p2, lru.oldest());
        assertEquals(p1, lru.newest());
        lru.remove(p4, b);
        assertEquals(List.of(p2, p3, p1), global());
        assertEquals(List.of(p2), of(b));
        assertEquals(p2, b.lruTail);
        lru.remove(p2, b);
        assertEquals(NIL, b.lruHead);
        assertEquals(NIL, b.lruTail);
        assertEquals(2, lru.count());
        assertEquals(4, lru.countMax());
        assertEquals(2, a.ephCount);
        assertEquals(0, b.ephCount);
        assertEquals(2, b.ephCountMax);
    }

    @Test void reassignMovesToTheNewOwnersTailKeepingGlobalPlace() {
        int p1 = t.allocate(0, 1, 0), p2 = t.allocate(0, 2, 0), p3 = t.allocate(0, 3, 0);
        lru.append(p1, a);
        lru.append(p2, b);
        lru.append(p3, a);
        lru.reassign(p1, a, b);
        assertEquals(List.of(p1, p2, p3), global(), "global place kept");
        assertEquals(List.of(p3), of(a));
        assertEquals(List.of(p2, p1), of(b), "at the new owner's tail");
        assertEquals(1, a.ephCount);
        assertEquals(2, b.ephCount);
        assertEquals(1, t.index(p1), "links leave the index alone");
    }
}
