package org.fallow.xc.tools;

import org.fallow.xc.tools.InterleavedRounds.Row;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link InterleavedRounds} on a fake clock: each round trip advances it by the time the test gives it. */
class InterleavedRoundsTest {
    private long now;
    /** "row block" at each row's first measured trip of a block, in the order they ran. */
    private final List<String> order = new ArrayList<>();

    private Row row(String name, long[] nanosPerBlock, int perBlock, int warmup) {
        int[] trips = {0};
        return new Row(name, () -> {
            int i = trips[0]++;
            if (i < warmup) {
                now += 1; // warm-up trips are not measured
                return;
            }
            int block = (i - warmup) / perBlock;
            if ((i - warmup) % perBlock == 0) order.add(name + block);
            now += nanosPerBlock[block];
        });
    }

    @Test
    void pairedRatioFollowsTheHostWhereEachRowWasSlowedAlike() throws Exception {
        // the host slows down block by block (10 µs -> 19 µs floor); the hypercall row is 1.3x the floor in every block
        long[] floorNanos = new long[10], callNanos = new long[10];
        for (int b = 0; b < 10; b++) {
            floorNanos[b] = 10_000L * (10 + b) / 10;
            callNanos[b] = floorNanos[b] * 13 / 10;
        }
        Row floor = row("floor", floorNanos, 100, 50), call = row("call", callNanos, 100, 50);
        new InterleavedRounds(() -> now).run(List.of(floor, call), 50, 1000, 10);

        assertEquals(1.3, InterleavedRounds.pairedRatio(call, floor), 0.01);
        assertEquals(1.0, InterleavedRounds.pairedRatio(floor, floor), 1e-9);
        assertEquals(1000, floor.histogram().getTotalCount(), "every measured trip recorded, no warm-up trip");
        assertEquals(1000, call.histogram().getTotalCount());
        assertEquals(10.0, floor.blockP50(0), 0.02);
        assertEquals(24.7, call.blockP50(9), 0.05);
        // the rate is the row's trips / its own measured time
        double floorSeconds = 0;
        for (long n : floorNanos) floorSeconds += 100 * n / 1e9;
        assertEquals(1000 / floorSeconds, floor.opsPerSecond(), 1.0);
    }

    @Test
    void rowsTakeTurnsStartingOneLaterEachBlock() throws Exception {
        long[] same = {1000, 1000, 1000};
        Row a = row("a", same, 4, 0), b = row("b", same, 4, 0), c = row("c", same, 4, 0);
        new InterleavedRounds(() -> now).run(List.of(a, b, c), 0, 12, 3);
        assertEquals(List.of("a0", "b0", "c0", "b1", "c1", "a1", "c2", "a2", "b2"), order);
    }

    @Test
    void theLastBlockTakesTheRemainder() throws Exception {
        long[] same = new long[4];
        java.util.Arrays.fill(same, 500);
        Row a = row("a", same, 3, 0);
        new InterleavedRounds(() -> now).run(List.of(a), 0, 10, 3); // 3 + 3 + 4
        assertEquals(10, a.histogram().getTotalCount());
        assertEquals(3, a.blocks());
    }

    @Test
    void refusesWhatCannotBeCutIntoBlocks() {
        Row a = row("a", new long[] {1}, 1, 0);
        InterleavedRounds rounds = new InterleavedRounds(() -> now);
        assertThrows(IllegalArgumentException.class, () -> rounds.run(List.of(a), 0, 2, 3));
        assertThrows(IllegalArgumentException.class, () -> rounds.run(List.of(), 0, 10, 1));
        assertThrows(IllegalArgumentException.class, () -> rounds.run(List.of(a), -1, 10, 1));
        assertThrows(IllegalArgumentException.class, () -> InterleavedRounds.pairedRatio(a, a));
    }
}
