package org.fallow.abi.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The memcpy floor of the tmem benchmarks, measured in the same run: what a put+get of a page costs at least, the two
 * 4 KiB copies (a guest frame into a store of {@code pages} pages, then back into another frame), with no hypercall,
 * lookup or accounting. Pages per second of put+get (two copies per page), the best of a few passes after a warm-up.
 */
public final class PageCopyFloor {
    private static final int PAGE = 4096;

    private PageCopyFloor() {}

    /** Put+get pages per second of bare copies through a {@code pages}-page store (wall clock, best of 3 passes). */
    public static double pagesPerSecond(int pages) {
        try (Store s = new Store(pages)) {
            double best = 0;
            for (int pass = 0; pass < 4; pass++) {
                long t0 = System.nanoTime();
                for (int p = 0; p < pages; p++) s.put(p);
                for (int p = 0; p < pages; p++) s.get(p);
                long dt = System.nanoTime() - t0;
                if (pass > 0) best = Math.max(best, pages * 1e9 / dt);
            }
            return best;
        }
    }

    /**
     * The floor's copies one at a time (for a JMH floor benchmark beside the tmem ones): 64 guest frames of
     * pseudo-random bytes and a store of {@code pages} pages, off the heap; {@link #put} copies frame {@code p & 31}
     * into store page {@code p}, {@link #get} copies store page {@code p} into frame {@code 32 + (p & 31)}; {@code 0 <= p < pages}.
     */
    public static final class Store implements AutoCloseable {
        private final Arena arena = Arena.ofShared(); // JMH may set up and run a state on different threads
        private final MemorySegment frames = arena.allocate(64L * PAGE, PAGE);
        private final MemorySegment store;

        public Store(int pages) {
            if (pages < 1) throw new IllegalArgumentException("pages " + pages);
            store = arena.allocate((long) pages * PAGE, PAGE);
            for (long i = 0; i < frames.byteSize(); i += 8) frames.set(java.lang.foreign.ValueLayout.JAVA_LONG, i, i * 0x9E3779B97F4A7C15L);
        }

        /** Copies a guest frame into store page {@code p}. */
        public void put(int p) {
            MemorySegment.copy(frames, (long) (p & 31) * PAGE, store, (long) p * PAGE, PAGE);
        }

        /** Copies store page {@code p} into a guest frame; returns that frame's first long. */
        public long get(int p) {
            long to = (long) (32 + (p & 31)) * PAGE;
            MemorySegment.copy(store, (long) p * PAGE, frames, to, PAGE);
            return frames.get(java.lang.foreign.ValueLayout.JAVA_LONG, to);
        }

        @Override public void close() { arena.close(); }
    }

    /** The load averages now ({@code /proc/loadavg}'s first three fields), or "?" if unreadable. */
    public static String load() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }
}
