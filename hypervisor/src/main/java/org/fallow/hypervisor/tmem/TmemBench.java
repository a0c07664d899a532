package org.fallow.hypervisor.tmem;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.DomainMemory;
import org.fallow.hypervisor.core.GuestAddressSpace;
import org.fallow.hypervisor.core.GuestFault;
import org.fallow.hypervisor.core.HostMemory;
import org.fallow.hypervisor.core.HypervisorCore;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * Benchmark (not a test) of the tmem engine: put+get pages/s in batches, in-process (engine calls and full
 * tmem_op hypercalls through HypervisorCore.dispatch, one batch per dispatch task as a multicall would be), for
 * random, compressible and zero pages, with and without compression; and the heap bytes of metadata per stored page
 * (heap delta after full GCs over N zero pages, which store no data, / N).
 *
 * <pre>java -cp ... org.fallow.hypervisor.tmem.TmemBench [pages=16384] [batch=64] [rounds=5]</pre>
 */
public final class TmemBench {
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A domain with {@code frames} frames of RAM in one segment and unbounded max_pages (persistent pages). */
    static final class BenchDomain implements DomainMemory {
        final MemorySegment ram;
        long tot;

        BenchDomain(int frames) { ram = Arena.ofAuto().allocate((long) frames * 4096, 4096); }

        @Override public long maxPages() { return Long.MAX_VALUE; }
        @Override public long totPages() { return tot; }
        @Override public boolean allocateExtra(long n) { tot += n; return true; }
        @Override public void releaseExtra(long n) { tot -= n; }
        @Override public MemorySegment ramFrame(long gfn) { return ram.asSlice(gfn * 4096, 4096); }
    }

    enum Kind { RANDOM, TEXT, ZERO }

    static void fill(MemorySegment f, Kind k, long seed) {
        switch (k) {
            case ZERO -> f.fill((byte) 0);
            case TEXT -> {
                byte[] t = ("tmem benchmark page " + seed + " lorem ipsum dolor sit amet ").getBytes();
                for (int i = 0; i < 4096; i++) f.set(ValueLayout.JAVA_BYTE, i, t[i % t.length]);
            }
            case RANDOM -> {
                SplittableRandom r = new SplittableRandom(seed);
                for (int i = 0; i < 4096; i += 8) f.set(I64, i, r.nextLong());
            }
        }
    }

    public static void main(String[] args) throws Exception {
        int pages = args.length > 0 ? Integer.parseInt(args[0]) : 16384;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        System.out.printf(Locale.ROOT, "tmem bench: %d pages per round, batch %d, %d rounds (the round with the best put+get is reported), JDK %s%n",
                pages, batch, rounds, Runtime.version());
        for (Kind k : Kind.values()) { // warm-up: one round of every configuration, discarded
            engineRound(pages, k, false);
            engineRound(pages, k, true);
            hypercallRound(pages, batch, k, k != Kind.ZERO);
        }
        System.out.println("path        kind    compress  put pages/s  get pages/s  put+get pages/s");
        for (Kind k : Kind.values()) {
            for (boolean compress : new boolean[] {false, true}) {
                if (k == Kind.ZERO && compress) continue;
                double[] best = {0, 0, 0};
                for (int r = 0; r < rounds; r++) {
                    double[] x = engineRound(pages, k, compress);
                    if (x[2] > best[2]) best = x;
                }
                print("engine", k, compress, best);
            }
        }
        for (Kind k : new Kind[] {Kind.RANDOM, Kind.TEXT}) {
            for (boolean compress : new boolean[] {false, true}) {
                double[] best = {0, 0, 0};
                for (int r = 0; r < rounds; r++) {
                    double[] x = hypercallRound(pages, batch, k, compress);
                    if (x[2] > best[2]) best = x;
                }
                print("hypercall", k, compress, best);
            }
        }
        metadata(pages);
    }

    static void print(String path, Kind k, boolean compress, double[] r) {
        System.out.printf(Locale.ROOT, "%-11s %-7s %-8s %12.0f %12.0f %16.0f%n", path, k.name().toLowerCase(Locale.ROOT),
                compress ? "lzo" : "off", r[0], r[1], r[2]);
    }

    /** Engine calls directly: N puts into a persistent pool, then N (non-destructive) gets. */
    static double[] engineRound(int pages, Kind k, boolean compress) {
        HostMemory host = new HostMemory(1L << 40);
        BenchDomain dom = new BenchDomain(64);
        TmemEngine e = new TmemEngine(host, id -> id == 1 ? dom : null, new TmemEngine.Config(true, compress, System::nanoTime));
        TmemClient c = e.createClient(1);
        e.newPool(c, -1, (1 << 24) | TmemDefs.POOL_PERSIST, 0, 0, false);
        TmemPool pool = c.pools[0];
        for (int i = 0; i < 32; i++) fill(dom.ramFrame(i), k, i);
        TmemEngine.FrameResolver frames = dom::ramFrame;
        long t0 = System.nanoTime();
        for (int i = 0; i < pages; i++) {
            long rc = e.tmemOp(AbiProfile.XEN_4_12, 1, false,
                    req(TmemDefs.PUT_PAGE, i >>> 4, i & 15, i & 31), frames, x -> 0);
            if (rc != 1) throw new IllegalStateException("put " + rc);
        }
        long t1 = System.nanoTime();
        for (int i = 0; i < pages; i++) {
            long rc = e.tmemOp(AbiProfile.XEN_4_12, 1, false,
                    req(TmemDefs.GET_PAGE, i >>> 4, i & 15, 32 + (i & 31)), frames, x -> 0);
            if (rc != 1) throw new IllegalStateException("get " + rc);
        }
        long t2 = System.nanoTime();
        if (pool.pgpCount != pages) throw new IllegalStateException("stored " + pool.pgpCount);
        return rates(pages, t0, t1, t2);
    }

    private static java.util.function.Supplier<TmemRequest> req(int cmd, long oid, int index, long gfn) {
        TmemRequest r = TmemRequest.page(cmd, 0, new TmemOid(oid, 0, 0), index, gfn);
        return () -> r;
    }

    static double[] rates(int pages, long t0, long t1, long t2) {
        return new double[] {pages * 1e9 / (t1 - t0), pages * 1e9 / (t2 - t1), 2.0 * pages * 1e9 / (t2 - t0)};
    }

    /**
     * Full hypercalls: each op is a tmem_op struct in guest memory decoded by the hypercall handler, dispatched
     * {@code batch} at a time in one dispatch-thread task (what a multicall of {@code batch} entries costs the
     * hypervisor, without the socket).
     */
    static double[] hypercallRound(int pages, int batch, Kind k, boolean compress) throws Exception {
        try (HypervisorCore core = new HypervisorCore(new HostMemory(1L << 40))) {
            TmemSubsystem tmem = new TmemSubsystem(new TmemEngine.Config(true, compress, System::nanoTime));
            tmem.install(core);
            BenchDomain dom = new BenchDomain(64 + batch);
            Domain d = new Domain(1, new byte[16], 1);
            d.memory(dom);
            core.domains().add(d);
            GuestAddressSpace space = (h, len) -> {
                if (h <= 0 || h + len > dom.ram.byteSize()) throw new GuestFault(h, len, "out of range");
                return dom.ram.asSlice(h, len);
            };
            Caller g = Caller.guest(1, AbiProfile.XEN_4_12, space);
            long opBase = 64L * 4096; // one 56-byte tmem_op per batch slot, in frames 64..
            MemorySegment ops = dom.ram.asSlice(opBase, (long) batch * 64);
            TmemOpCodec.encodeNewPool(AbiProfile.XEN_4_12, ops, 0, 0, (1 << 24) | TmemDefs.POOL_PERSIST);
            call(core, () -> core.dispatch(g, Hypercalls.TMEM_OP, new long[] {opBase, 0, 0, 0, 0}));
            for (int i = 0; i < 32; i++) fill(dom.ramFrame(i), k, i);
            long t0 = System.nanoTime();
            runBatches(core, g, ops, opBase, pages, batch, TmemDefs.PUT_PAGE, 0);
            long t1 = System.nanoTime();
            runBatches(core, g, ops, opBase, pages, batch, TmemDefs.GET_PAGE, 32);
            long t2 = System.nanoTime();
            return rates(pages, t0, t1, t2);
        }
    }

    static void runBatches(HypervisorCore core, Caller g, MemorySegment ops, long opBase, int pages, int batch, int cmd, int gfnBase) throws Exception {
        for (int i = 0; i < pages; i += batch) {
            int n = Math.min(batch, pages - i);
            for (int j = 0; j < n; j++) {
                int p = i + j;
                TmemOpCodec.encodePage(AbiProfile.XEN_4_12, ops.asSlice(j * 64L, 56), cmd, 0, new TmemOid(p >>> 4, 0, 0), p & 15, gfnBase + (p & 31));
            }
            call(core, () -> {
                long[] a = new long[5];
                for (int j = 0; j < n; j++) {
                    a[0] = opBase + j * 64L;
                    long rc = core.dispatch(g, Hypercalls.TMEM_OP, a);
                    if (rc != 1) throw new IllegalStateException("op " + cmd + " -> " + rc);
                }
                return 0L;
            });
        }
    }

    static <T> T call(HypervisorCore core, Callable<T> c) throws Exception { return core.dispatcher().submit(c).get(); }

    /** Heap bytes per stored page beyond its data: heap delta after full GCs / N, for zero pages and raw pages. */
    static void metadata(int pages) {
        for (Kind k : new Kind[] {Kind.ZERO, Kind.RANDOM}) {
            for (boolean ephemeral : new boolean[] {false, true}) {
                HostMemory host = new HostMemory(1L << 40);
                BenchDomain dom = new BenchDomain(32);
                TmemEngine e = new TmemEngine(host, id -> id == 1 ? dom : null, new TmemEngine.Config(true, false, System::nanoTime));
                TmemClient c = e.createClient(1);
                e.newPool(c, -1, (1 << 24) | (ephemeral ? 0 : TmemDefs.POOL_PERSIST), 0, 0, false);
                for (int i = 0; i < 32; i++) fill(dom.ramFrame(i), k, i);
                long before = usedAfterGc();
                for (int i = 0; i < pages; i++) {
                    long rc = e.tmemOp(AbiProfile.XEN_4_12, 1, false, req(TmemDefs.PUT_PAGE, i >>> 4, i & 15, i & 31), dom::ramFrame, x -> 0);
                    if (rc != 1) throw new IllegalStateException("put " + rc);
                }
                long after = usedAfterGc();
                double per = (after - before) / (double) pages;
                double data = k == Kind.ZERO ? 0 : 4096 + 16; // byte[4096] with its array header
                System.out.printf(Locale.ROOT, "metadata    %-7s %-9s %8.1f heap bytes/page, %6.1f beyond the data (16 pages per object; N=%d)%n",
                        k.name().toLowerCase(Locale.ROOT), ephemeral ? "ephemeral" : "persistent", per, per - data, pages);
                if (e.stats().storedPages() != pages) throw new IllegalStateException();
            }
        }
    }

    static long usedAfterGc() {
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
