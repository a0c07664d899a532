package org.fallow.hypervisor.tmem.bench;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.GuestAddressSpace;
import org.fallow.hypervisor.core.GuestFault;
import org.fallow.hypervisor.core.HostMemory;
import org.fallow.hypervisor.core.HypervisorCore;
import org.fallow.hypervisor.tmem.TmemDefs;
import org.fallow.hypervisor.tmem.TmemEngine;
import org.fallow.hypervisor.tmem.TmemOid;
import org.fallow.hypervisor.tmem.TmemOpCodec;
import org.fallow.hypervisor.tmem.TmemSubsystem;
import org.fallow.hypervisor.tmem.bench.TmemBenchBed.BenchDomain;
import org.fallow.hypervisor.tmem.bench.TmemBenchBed.Kind;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code fallow bench tmem}: the tmem engine in-process. Rows: {@code engine} = TmemEngine.tmemOp calls (persistent
 * pool: N puts then N non-destructive gets); {@code hypercall} = full tmem_op hypercalls through
 * HypervisorCore.dispatch (the 56-byte struct decoded from guest memory, data copied from/to guest frames),
 * {@code --batch} per dispatch-thread task as one multicall would run; for random / text / zero pages with LZO
 * compression off and on. Then the heap bytes of metadata per stored page (heap delta after full GCs / N).
 * Each row is the round with the best put+get of {@code --rounds}, after one discarded warm-up round of every row.
 */
@Command(name = "tmem", mixinStandardHelpOptions = true,
        description = "tmem engine and in-process hypercall put+get pages/s; heap metadata bytes per stored page.")
public final class TmemBench implements Callable<Integer> {
    @Option(names = "--pages", defaultValue = "16384", description = "Pages put then got per round (default ${DEFAULT-VALUE}).")
    int pages;

    @Option(names = "--batch", defaultValue = "64", description = "tmem_ops per dispatch task in the hypercall rows (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--rounds", defaultValue = "5", description = "Measured rounds per row; the best is printed (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--no-metadata", description = "Skip the heap-metadata rows (they run full GCs).")
    boolean noMetadata;

    PrintStream out = System.out;

    @Override public Integer call() throws Exception {
        if (pages < 1 || batch < 1 || rounds < 1) throw new IllegalArgumentException("--pages, --batch and --rounds must be >= 1");
        out.printf(Locale.ROOT, "tmem bench: --pages %d --batch %d --rounds %d (best put+get round per row, after a warm-up round), JDK %s%n",
                pages, batch, rounds, Runtime.version());
        for (Kind k : Kind.values()) {
            engineRound(k, false);
            engineRound(k, true);
            hypercallRound(k, k != Kind.ZERO);
        }
        out.printf(Locale.ROOT, "%-11s %-7s %-8s %12s %12s %16s%n", "path", "kind", "compress", "put pages/s", "get pages/s", "put+get pages/s");
        for (Kind k : Kind.values()) {
            for (boolean compress : new boolean[] {false, true}) {
                if (k == Kind.ZERO && compress) continue;
                double[] best = {0, 0, 0};
                for (int r = 0; r < rounds; r++) {
                    double[] x = engineRound(k, compress);
                    if (x[2] > best[2]) best = x;
                }
                print("engine", k, compress, best);
            }
        }
        for (Kind k : new Kind[] {Kind.RANDOM, Kind.TEXT}) {
            for (boolean compress : new boolean[] {false, true}) {
                double[] best = {0, 0, 0};
                for (int r = 0; r < rounds; r++) {
                    double[] x = hypercallRound(k, compress);
                    if (x[2] > best[2]) best = x;
                }
                print("hypercall", k, compress, best);
            }
        }
        if (!noMetadata) metadata();
        return 0;
    }

    private void print(String path, Kind k, boolean compress, double[] r) {
        out.printf(Locale.ROOT, "%-11s %-7s %-8s %12.0f %12.0f %16.0f%n", path, k.label(), compress ? "lzo" : "off", r[0], r[1], r[2]);
    }

    private double[] engineRound(Kind k, boolean compress) {
        TmemBenchBed.Engine e = TmemBenchBed.engine(64, k, compress, true);
        long t0 = System.nanoTime();
        for (int i = 0; i < pages; i++) check("put", e.put(i >>> 4, i & 15, i & 31));
        long t1 = System.nanoTime();
        for (int i = 0; i < pages; i++) check("get", e.get(i >>> 4, i & 15, 32 + (i & 31)));
        long t2 = System.nanoTime();
        if (e.storedPages() != pages) throw new IllegalStateException("stored " + e.storedPages() + " of " + pages);
        return rates(t0, t1, t2);
    }

    private static void check(String what, long rc) {
        if (rc != 1) throw new IllegalStateException(what + " -> " + rc);
    }

    private double[] rates(long t0, long t1, long t2) {
        return new double[] {pages * 1e9 / (t1 - t0), pages * 1e9 / (t2 - t1), 2.0 * pages * 1e9 / (t2 - t0)};
    }

    /** Full hypercalls: tmem_op structs in guest memory decoded by the handler, {@code batch} per dispatch task. */
    private double[] hypercallRound(Kind k, boolean compress) throws Exception {
        try (HypervisorCore core = new HypervisorCore(new HostMemory(1L << 40))) {
            new TmemSubsystem(new TmemEngine.Config(true, compress, System::nanoTime)).install(core);
            BenchDomain dom = new BenchDomain(64 + batch);
            Domain d = new Domain(TmemBenchBed.DOMID, new byte[16], 1);
            d.memory(dom);
            core.domains().add(d);
            GuestAddressSpace space = (h, len) -> {
                if (h <= 0 || h + len > dom.ram.byteSize()) throw new GuestFault(h, len, "out of range");
                return dom.ram.asSlice(h, len);
            };
            Caller g = Caller.guest(TmemBenchBed.DOMID, AbiProfile.XEN_4_12, space);
            long opBase = 64L * 4096; // one 56-byte tmem_op per batch slot, in frames 64..
            MemorySegment ops = dom.ram.asSlice(opBase, (long) batch * 64);
            TmemOpCodec.encodeNewPool(AbiProfile.XEN_4_12, ops, 0, 0, (1 << 24) | TmemDefs.POOL_PERSIST);
            long pool = core.dispatcher().submit(() -> core.dispatch(g, Hypercalls.TMEM_OP, new long[] {opBase, 0, 0, 0, 0})).get();
            if (pool != 0) throw new IllegalStateException("new pool -> " + pool);
            for (int i = 0; i < 32; i++) TmemBenchBed.fill(dom.ramFrame(i), k, i);
            long t0 = System.nanoTime();
            runBatches(core, g, ops, opBase, TmemDefs.PUT_PAGE, 0);
            long t1 = System.nanoTime();
            runBatches(core, g, ops, opBase, TmemDefs.GET_PAGE, 32);
            long t2 = System.nanoTime();
            return rates(t0, t1, t2);
        }
    }

    private void runBatches(HypervisorCore core, Caller g, MemorySegment ops, long opBase, int cmd, int gfnBase) throws Exception {
        for (int i = 0; i < pages; i += batch) {
            int n = Math.min(batch, pages - i);
            for (int j = 0; j < n; j++) {
                int p = i + j;
                TmemOpCodec.encodePage(AbiProfile.XEN_4_12, ops.asSlice(j * 64L, 56), cmd, 0, new TmemOid(p >>> 4, 0, 0), p & 15, gfnBase + (p & 31));
            }
            core.dispatcher().submit(() -> {
                long[] a = new long[5];
                for (int j = 0; j < n; j++) {
                    a[0] = opBase + j * 64L;
                    check("op " + cmd, core.dispatch(g, Hypercalls.TMEM_OP, a));
                }
                return null;
            }).get();
        }
    }

    /** Heap bytes per stored page beyond its data: heap delta after full GCs / N, for zero pages and raw pages. */
    private void metadata() {
        for (Kind k : new Kind[] {Kind.ZERO, Kind.RANDOM}) {
            for (boolean ephemeral : new boolean[] {false, true}) {
                TmemBenchBed.Engine e = TmemBenchBed.engine(32, k, false, !ephemeral);
                long before = usedAfterGc();
                for (int i = 0; i < pages; i++) check("put", e.put(i >>> 4, i & 15, i & 31));
                long after = usedAfterGc();
                if (e.storedPages() != pages) throw new IllegalStateException("stored " + e.storedPages());
                double per = (after - before) / (double) pages;
                double data = k == Kind.ZERO ? 0 : 4096 + 16; // byte[4096] with its array header
                out.printf(Locale.ROOT, "%-11s %-7s %-10s %8.1f heap bytes/page, %6.1f beyond the data (16 pages per object; N=%d)%n",
                        "metadata", k.label(), ephemeral ? "ephemeral" : "persistent", per, per - data, pages);
                java.lang.ref.Reference.reachabilityFence(e);
            }
        }
    }

    private static long usedAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            try { Thread.sleep(50); } catch (InterruptedException ex) { Thread.currentThread().interrupt(); }
            used = Math.min(used, rt.totalMemory() - rt.freeMemory());
        }
        return used;
    }
}
