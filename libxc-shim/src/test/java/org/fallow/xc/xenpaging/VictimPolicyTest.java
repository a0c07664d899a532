package org.fallow.xc.xenpaging;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class VictimPolicyTest {
    @Test void startsAfterTheMiddleAndScansLinearlyRoundRobinNeverGfn0() {
        VictimPolicy p = new VictimPolicy(200, 16);
        List<Long> got = new ArrayList<>();
        long g;
        while ((g = p.chooseVictim()) != VictimPolicy.INVALID) got.add(g);
        assertEquals(199, got.size(), "every gfn but 0, once per sweep");
        assertEquals(101, got.get(0), "current_gfn starts at max_pages/2 and is incremented first");
        assertEquals(199, got.get(98));
        assertEquals(1, got.get(99), "wraps, skipping gfn 0");
        assertEquals(100, got.get(got.size() - 1));
        assertFalse(got.contains(0L));
        assertTrue(p.usePollTimeout());
    }

    @Test void pagedOutGfnsAreSkippedUntilPagedInWithoutMru() {
        VictimPolicy p = new VictimPolicy(8, 4);
        long a = p.chooseVictim();
        assertEquals(5, a);
        p.notifyPagedOut(a);
        assertTrue(p.busy(a));
        assertFalse(p.unconsumed(a));
        p.notifyPagedIn(a, false); // num_paged_out <= mru_size: evictable again at once
        assertFalse(p.busy(a));
        for (int i = 0; i < 10; i++) {
            long g = p.chooseVictim();
            if (g == VictimPolicy.INVALID) break;
            p.notifyPagedOut(g);
        }
        assertTrue(p.busy(a), "a was chosen and paged out again");
    }

    @Test void mruHoldsPagedInGfnsBusyUntilPushedOut() {
        VictimPolicy p = new VictimPolicy(64, 2);
        for (long g = 1; g <= 3; g++) p.notifyPagedOut(g);
        p.notifyPagedIn(1, true);
        p.notifyPagedIn(2, true);
        assertTrue(p.busy(1) && p.busy(2), "both in the MRU ring of 2");
        p.notifyPagedIn(3, true); // overwrites slot 0 (gfn 1): gfn 1 becomes evictable
        assertFalse(p.busy(1));
        assertTrue(p.busy(2) && p.busy(3));
        p.notifyPagedIn(5, false); // overwrites slot 1 (gfn 2), leaves the slot empty
        assertFalse(p.busy(2));
        assertFalse(p.busy(5));
    }

    @Test void unconsumedIsClearedAfter123EmptySweeps() {
        VictimPolicy p = new VictimPolicy(4, 4);
        List<Long> first = new ArrayList<>();
        long g;
        while ((g = p.chooseVictim()) != VictimPolicy.INVALID) first.add(g); // refused by nominate: stay unconsumed
        assertEquals(List.of(3L, 1L, 2L), first);
        for (int sweep = 2; sweep <= 123; sweep++) assertEquals(VictimPolicy.INVALID, p.chooseVictim(), "sweep " + sweep);
        assertTrue(p.unconsumed(3));
        assertEquals(VictimPolicy.INVALID, p.chooseVictim(), "the 124th empty sweep clears the map");
        assertFalse(p.unconsumed(3));
        assertNotEquals(VictimPolicy.INVALID, p.chooseVictim(), "then gfns are retried");
    }

    @Test void fullyBusyWordsAreSkippedWhole() {
        VictimPolicy p = new VictimPolicy(256, 4);
        for (long g = 1; g < 64; g++) p.notifyPagedOut(g); // word 0 fully busy (gfn 0 always is)
        List<Long> sweep = new ArrayList<>();
        long g;
        while ((g = p.chooseVictim()) != VictimPolicy.INVALID) sweep.add(g);
        assertEquals(129, sweep.get(0));
        assertEquals(255, sweep.get(126));
        assertEquals(65, sweep.get(127), "at the wrap word 0 is skipped whole; like C, the increment after the skip also passes 64");
        assertFalse(sweep.contains(64L));
        assertEquals(256 - 64 - 1, sweep.size());
    }

    @Test void droppedGfnsBecomeEvictable() {
        VictimPolicy p = new VictimPolicy(16, 4);
        p.notifyPagedOut(9);
        assertTrue(p.busy(9), "a paged-out gfn is busy");
        p.notifyDropped(9);
        assertFalse(p.busy(9), "policy_notify_dropped clears it");
    }
}
