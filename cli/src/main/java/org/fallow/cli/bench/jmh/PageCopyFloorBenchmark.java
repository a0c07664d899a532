package org.fallow.cli.bench.jmh;

import org.fallow.abi.bench.PageCopyFloor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * The memcpy floor of {@link TmemEngineBenchmark}, in the same JMH run: {@code put} = one 4 KiB copy of a guest frame
 * into a 4096-page store, {@code get} = one copy back out ({@link PageCopyFloor.Store}, the copies of the tmem
 * benchmarks' own memcpy floor), with no hypercall, lookup, compression or accounting. {@code bench jmh} prints each
 * tmem put/get score as a ratio to these.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class PageCopyFloorBenchmark {
    private PageCopyFloor.Store store;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        store = new PageCopyFloor.Store(TmemEngineBenchmark.KEYS);
        for (int k = 0; k < TmemEngineBenchmark.KEYS; k++) store.put(k);
    }

    @TearDown(Level.Trial)
    public void tearDown() { store.close(); }

    @Benchmark
    public void put() {
        store.put(next++ & (TmemEngineBenchmark.KEYS - 1));
    }

    @Benchmark
    public long get() {
        return store.get(next++ & (TmemEngineBenchmark.KEYS - 1));
    }
}
