package org.fallow.hypervisor.mem;

import java.util.Arrays;

/**
 * The hypervisor's copy of a p2m view's PoD extents (PROTOCOL §3.3), merged: sorted, disjoint, non-adjacent
 * [start, end) ranges, replaced as a whole on each change (copy-on-write, so reads from any thread see one
 * consistent set). Its union is always the union of the view's {@code pod_extents}; it has at most as many ranges as
 * the view has extents ({@link org.fallow.abi.wire.P2mHeader#POD_EXTENTS_MAX}), so a change costs O(extents), never
 * O(gfns).
 */
final class PodExtents {
    private record Ranges(long[] starts, long[] ends) {}

    private static final Ranges EMPTY = new Ranges(new long[0], new long[0]);
    private volatile Ranges ranges = EMPTY;

    /** Number of merged ranges. */
    int size() { return ranges.starts.length; }

    /** Whether a range holds {@code gfn}. */
    boolean contains(long gfn) {
        Ranges r = ranges;
        int i = floor(r, gfn);
        return i >= 0 && gfn < r.ends[i];
    }

    /** How many gfns of [from, to) the ranges hold. */
    long covered(long from, long to) {
        Ranges r = ranges;
        long n = 0;
        for (int i = Math.max(floor(r, from), 0); i < r.starts.length && r.starts[i] < to; i++) {
            long a = Math.max(r.starts[i], from), b = Math.min(r.ends[i], to);
            if (b > a) n += b - a;
        }
        return n;
    }

    /** Adds [from, to), merging with every range it overlaps or touches. */
    void add(long from, long to) {
        Ranges r = ranges;
        int n = r.starts.length;
        long[] s = new long[n + 1], e = new long[n + 1];
        int k = 0;
        boolean placed = false;
        for (int i = 0; i < n; i++) {
            if (r.ends[i] < from) { s[k] = r.starts[i]; e[k++] = r.ends[i]; continue; }
            if (r.starts[i] > to) {
                if (!placed) { s[k] = from; e[k++] = to; placed = true; }
                s[k] = r.starts[i]; e[k++] = r.ends[i];
                continue;
            }
            from = Math.min(from, r.starts[i]);
            to = Math.max(to, r.ends[i]);
        }
        if (!placed) { s[k] = from; e[k++] = to; }
        ranges = new Ranges(Arrays.copyOf(s, k), Arrays.copyOf(e, k));
    }

    void clear() { ranges = EMPTY; }

    /** Index of the last range starting at or below {@code gfn}, or -1. */
    private static int floor(Ranges r, long gfn) {
        int i = Arrays.binarySearch(r.starts, gfn);
        return i >= 0 ? i : -i - 2;
    }
}
