package org.fallow.xc.tools;

import org.HdrHistogram.Histogram;
import org.fallow.abi.bench.Median;

import java.io.IOException;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Round trips of several rows (a floor and what is compared with it) measured in interleaved blocks, so that every row
 * meets the same host: the measured trips are cut into {@code blocks} blocks, and in each block every row runs its
 * share in turn (block {@code b} starting at row {@code b % rows}, so no row is always first after another). A row keeps
 * the latencies of all its blocks (pooled percentiles) and the p50 of each block; {@link #pairedRatio} is the median over
 * the blocks of a row's p50 / the floor's p50 in the same block. Run one after the other, rows of one run met host
 * conditions seconds apart (the echo floors moved 9.6-13 µs between runs of {@code bench rtt}, docs/BENCHMARKS.md);
 * paired blocks compare each block with its neighbour in time, as {@code farm-bench --vs} pairs two commands.
 */
final class InterleavedRounds {
    /** One round trip of a row. */
    interface RoundTrip {
        void run() throws IOException;
    }

    /** A row: its round trip, every latency recorded, and each block's p50. */
    static final class Row {
        final String name;
        private final RoundTrip trip;
        private final Histogram all = new Histogram(60_000_000_000L, 3);
        private final Histogram block = new Histogram(60_000_000_000L, 3);
        private double[] blockP50 = new double[0];
        private long elapsedNanos;
        private long trips;

        Row(String name, RoundTrip trip) {
            this.name = name;
            this.trip = trip;
        }

        /** Every measured latency, ns. */
        Histogram histogram() { return all; }

        /** Median latency of all blocks pooled, µs. */
        double p50() { return all.getValueAtPercentile(50) / 1e3; }

        /** Median latency of block {@code b}, µs. */
        double blockP50(int b) { return blockP50[b]; }

        int blocks() { return blockP50.length; }

        /** Measured round trips per second of this row's own time (its blocks' wall time summed). */
        double opsPerSecond() { return elapsedNanos == 0 ? 0 : trips / (elapsedNanos / 1e9); }
    }

    private final LongSupplier clock;

    /** Measures with {@code clock} (ns); {@code System::nanoTime} for real runs. */
    InterleavedRounds(LongSupplier clock) {
        this.clock = clock;
    }

    /**
     * {@code warmup} unmeasured trips of each row, then {@code iterations} measured trips of each row in
     * {@code blocks} blocks (the last block takes the remainder).
     */
    void run(List<Row> rows, int warmup, int iterations, int blocks) throws IOException {
        if (rows.isEmpty() || warmup < 0 || blocks < 1 || iterations < blocks)
            throw new IllegalArgumentException("need rows, warmup >= 0, blocks >= 1 and iterations >= blocks");
        for (Row r : rows) {
            for (int i = 0; i < warmup; i++) r.trip.run();
            r.all.reset();
            r.blockP50 = new double[blocks];
            r.elapsedNanos = 0;
            r.trips = 0;
        }
        int perBlock = iterations / blocks;
        for (int b = 0; b < blocks; b++) {
            int n = b == blocks - 1 ? iterations - perBlock * (blocks - 1) : perBlock;
            for (int j = 0; j < rows.size(); j++) {
                Row r = rows.get((b + j) % rows.size());
                r.block.reset();
                long start = clock.getAsLong();
                for (int i = 0; i < n; i++) {
                    long t0 = clock.getAsLong();
                    r.trip.run();
                    r.block.recordValue(clock.getAsLong() - t0);
                }
                r.elapsedNanos += clock.getAsLong() - start;
                r.trips += n;
                r.all.add(r.block);
                r.blockP50[b] = r.block.getValueAtPercentile(50) / 1e3;
            }
        }
    }

    /** The median over the blocks of {@code row}'s block p50 / {@code floor}'s block p50 (the same blocks). */
    static double pairedRatio(Row row, Row floor) {
        if (row.blocks() == 0 || row.blocks() != floor.blocks()) throw new IllegalArgumentException("rows not measured together");
        return Median.ofRatios(row.blockP50, floor.blockP50);
    }
}
