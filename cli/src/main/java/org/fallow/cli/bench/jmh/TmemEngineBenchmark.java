package org.fallow.cli.bench.jmh;

import org.fallow.hypervisor.tmem.TmemCompression;
import org.fallow.hypervisor.tmem.bench.TmemBenchBed;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The tmem engine's put and get of one 4 KiB page (TmemEngine.tmemOp, as the hypercall handler calls it after
 * decoding), per page class: {@code random} (incompressible: stored raw even with LZO), {@code text} (compresses
 * well), {@code zero} (all-zero); compression off, LZO (Xen's) or LZ4 (the default). A persistent pool holds 4096 pages (256 objects x 16);
 * {@code put} re-puts them in turn (a duplicate put replaces in place), {@code get} reads them in turn (persistent
 * gets are not destructive). Both return the hypercall's result (1).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TmemEngineBenchmark {
    static final int KEYS = 4096;

    @Param({"random", "text", "zero"})
    public String kind;

    @Param({"off", "lzo", "lz4"})
    public String compress;

    private TmemBenchBed.Engine engine;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        engine = TmemBenchBed.engine(64, TmemBenchBed.Kind.valueOf(kind.toUpperCase(Locale.ROOT)), !compress.equals("off"), true,
                compress.equals("lzo") ? TmemCompression.LZO : TmemCompression.LZ4);
        for (int k = 0; k < KEYS; k++) {
            long rc = engine.put(k >>> 4, k & 15, k & 31);
            if (rc != 1) throw new IllegalStateException("put -> " + rc);
        }
    }

    @Benchmark
    public long put() {
        int k = next++ & (KEYS - 1);
        return engine.put(k >>> 4, k & 15, k & 31);
    }

    @Benchmark
    public long get() {
        int k = next++ & (KEYS - 1);
        return engine.get(k >>> 4, k & 15, 32 + (k & 31));
    }
}
