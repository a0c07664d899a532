package org.fallow.hypervisor.mem;

import java.util.function.LongConsumer;

/**
 * The gfns pinned by the running hypercall, each once: a set of longs without boxing (a multicall of 64 tmem_ops
 * pins its op, entry and data frames, ~100 adds, on every hypercall). Open addressing with linear probing over a
 * power-of-two {@code long[]} holding gfn + 1 (0 = free), kept at most half full, plus the insertion list that
 * {@link #forEach} walks and {@link #clear} uses to zero only the slots it filled. Grows with the pins of one
 * hypercall (bounded by the guest memory a hypercall may touch); not thread-safe.
 */
final class PinnedFrames {
    private long[] table = new long[64];
    private long[] list = new long[32];
    private int size;

    /** Adds {@code gfn} (>= 0); true if it was not already in the set. */
    boolean add(long gfn) {
        if (gfn < 0) throw new IllegalArgumentException("gfn " + gfn);
        if (2 * (size + 1) > table.length) grow();
        long v = gfn + 1;
        int mask = table.length - 1;
        for (int i = slot(v, mask); ; i = (i + 1) & mask) {
            long s = table[i];
            if (s == v) return false;
            if (s == 0) {
                table[i] = v;
                if (size == list.length) list = java.util.Arrays.copyOf(list, list.length * 2);
                list[size++] = gfn;
                return true;
            }
        }
    }

    int size() { return size; }

    void forEach(LongConsumer action) {
        for (int i = 0; i < size; i++) action.accept(list[i]);
    }

    /** Empties the set, zeroing only the slots in use. */
    void clear() {
        int mask = table.length - 1;
        for (int k = 0; k < size; k++) {
            long v = list[k] + 1;
            for (int i = slot(v, mask); ; i = (i + 1) & mask) {
                if (table[i] == v) {
                    table[i] = 0;
                    break;
                }
            }
        }
        size = 0;
    }

    private static int slot(long v, int mask) {
        long h = v * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }

    private void grow() {
        table = new long[table.length * 2];
        int mask = table.length - 1;
        for (int k = 0; k < size; k++) {
            long v = list[k] + 1;
            int i = slot(v, mask);
            while (table[i] != 0) i = (i + 1) & mask;
            table[i] = v;
        }
    }
}
