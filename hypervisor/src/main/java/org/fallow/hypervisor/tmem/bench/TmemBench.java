package org.fallow.hypervisor.tmem.bench;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.bench.HeapImageCorpus;
import org.fallow.abi.bench.PageCopyFloor;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.GuestAddressSpace;
import org.fallow.hypervisor.core.GuestFault;
import org.fallow.hypervisor.core.HostMemory;
import org.fallow.hypervisor.core.HypervisorCore;
import org.fallow.hypervisor.tmem.TmemCompression;
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

    @Option(names = "--metadata-pages", defaultValue = "1048576",
            description = "Pages stored for the metadata rows (default ${DEFAULT-VALUE}; zero pages, LZ4: 64 B of slab each).")
    int metadataPages;

    @Option(names = "--corpus-pages", defaultValue = "8192",
            description = "Pages of the heap-image corpus for the compression rows (default ${DEFAULT-VALUE}; 0 skips them).")
    int corpusPages;

    PrintStream out = System.out;

    @Override public Integer call() throws Exception {
        if (pages < 1 || batch < 1 || rounds < 1) throw new IllegalArgumentException("--pages, --batch and --rounds must be >= 1");
        out.printf(Locale.ROOT, "tmem bench: --pages %d --batch %d --rounds %d --metadata-pages %d --corpus-pages %d (best round per row, after a warm-up round), JDK %s, load %s%n",
                pages, batch, rounds, metadataPages, corpusPages, Runtime.version(), PageCopyFloor.load());
        if (corpusPages > 0) new CompressionRows(out, rounds).run(HeapImageCorpus.capture(corpusPages));
        for (Kind k : Kind.values()) {
            for (TmemCompression c : CODECS) engineRound(k, c);
            hypercallRound(k, null);
        }
        double floor = 0;
        for (int r = 0; r < rounds; r++) floor = Math.max(floor, PageCopyFloor.pagesPerSecond(pages));
        out.printf(Locale.ROOT, "%-11s %-7s %-8s %12s %12s %16s %8s%n", "path", "kind", "compress", "put pages/s", "get pages/s", "put+get pages/s", "x floor");
        out.printf(Locale.ROOT, "%-11s %-7s %-8s %12s %12s %16.0f %8.2f%n", "memcpy", "floor", "-", "-", "-", floor, 1.0);
        for (Kind k : Kind.values()) {
            for (TmemCompression c : CODECS) {
                if (k == Kind.ZERO && c == TmemCompression.LZO) continue;
                double[] best = {0, 0, 0};
                for (int r = 0; r < rounds; r++) {
                    double[] x = engineRound(k, c);
                    if (x[2] > best[2]) best = x;
                }
                print("engine", k, c, best, floor);
            }
        }
        for (Kind k : new Kind[] {Kind.RANDOM, Kind.TEXT}) {
            for (TmemCompression c : CODECS) {
                double[] best = {0, 0, 0};
                for (int r = 0; r < rounds; r++) {
                    double[] x = hypercallRound(k, c);
                    if (x[2] > best[2]) best = x;
                }
                print("hypercall", k, c, best, floor);
            }
        }
        if (!noMetadata) metadata();
        out.printf(Locale.ROOT, "load at the end %s%n", PageCopyFloor.load());
        return 0;
    }

    /** No compression, then each algorithm. */
    private static final TmemCompression[] CODECS = {null, TmemCompression.LZO, TmemCompression.LZ4, TmemCompression.WORDS};

    private void print(String path, Kind k, TmemCompression c, double[] r, double floor) {
        out.printf(Locale.ROOT, "%-11s %-7s %-8s %12.0f %12.0f %16.0f %8.2f%n", path, k.label(), c == null ? "off" : c.label(),
                r[0], r[1], r[2], r[2] / floor);
    }

    private double[] engineRound(Kind k, TmemCompression c) {
        TmemBenchBed.Engine e = TmemBenchBed.engine(64, k, c != null, true, c == null ? TmemCompression.LZ4 : c);
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
    private double[] hypercallRound(Kind k, TmemCompression c) throws Exception {
        try (HypervisorCore core = new HypervisorCore(new HostMemory(1L << 40))) {
            new TmemSubsystem(new TmemEngine.Config(true, c != null, System::nanoTime, c == null ? TmemCompression.LZ4 : c)).install(core);
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

    /**
     * Metadata per stored page at {@code --metadata-pages}: the page table, object maps and object table counted from
     * their arrays ({@code TmemEngine.pageMetadataBytes}), and the heap delta after full GCs (which also holds the
     * TmemObject, its oid and the pool's hash-map entry, per object). Zero pages with LZ4 (same-filled: a 64-byte slab
     * slot each, off the heap), 16 pages per object, then one page per object.
     */
    private void metadata() {
        for (int perObject : new int[] {16, 1}) {
            for (boolean ephemeral : new boolean[] {false, true}) {
                TmemBenchBed.Engine e = TmemBenchBed.engine(32, Kind.ZERO, true, !ephemeral, TmemCompression.LZ4);
                long before = usedAfterGc();
                int shift = Integer.numberOfTrailingZeros(perObject);
                for (int i = 0; i < metadataPages; i++) check("put", e.put(i >>> shift, i & (perObject - 1), i & 31));
                long after = usedAfterGc();
                if (e.storedPages() != metadataPages) throw new IllegalStateException("stored " + e.storedPages());
                double arrays = e.engine().pageMetadataBytes() / (double) metadataPages;
                double heap = (after - before) / (double) metadataPages;
                out.printf(Locale.ROOT, "%-11s %-10s %6.1f B/page in metadata arrays, %6.1f heap B/page, %5.1f slab B/page (%d pages per object; N=%d)%n",
                        "metadata", ephemeral ? "ephemeral" : "persistent", arrays, heap,
                        e.engine().pageDataBytes() / (double) metadataPages, perObject, metadataPages);
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
