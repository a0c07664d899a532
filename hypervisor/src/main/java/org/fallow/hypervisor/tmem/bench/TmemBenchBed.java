package org.fallow.hypervisor.tmem.bench;

import org.fallow.abi.AbiProfile;
import org.fallow.hypervisor.core.DomainMemory;
import org.fallow.hypervisor.core.HostMemory;
import org.fallow.hypervisor.tmem.TmemCompression;
import org.fallow.hypervisor.tmem.TmemDefs;
import org.fallow.hypervisor.tmem.TmemEngine;
import org.fallow.hypervisor.tmem.TmemOid;
import org.fallow.hypervisor.tmem.TmemRequest;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;

import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;

/**
 * Shared pieces of the tmem benchmarks ({@code fallow bench tmem} and the JMH tmem benchmark): a domain whose RAM is
 * one segment, page contents of three compressibility classes, and an engine with one pool of domain 1, built
 * through the public guest-op path (NEW_POOL), as a guest would.
 */
public final class TmemBenchBed {
    public static final int DOMID = 1;

    private TmemBenchBed() {}

    /** A domain with {@code frames} frames of RAM in one segment and unbounded max_pages (persistent pages). */
    public static final class BenchDomain implements DomainMemory {
        public final MemorySegment ram;
        long tot;

        public BenchDomain(int frames) { ram = Arena.ofAuto().allocate((long) frames * 4096, 4096); }

        @Override public long maxPages() { return Long.MAX_VALUE; }
        @Override public long totPages() { return tot; }
        @Override public boolean allocateExtra(long n) { tot += n; return true; }
        @Override public void releaseExtra(long n) { tot -= n; }
        @Override public MemorySegment ramFrame(long gfn) { return ram.asSlice(gfn * 4096, 4096); }
    }

    /**
     * Page content classes: {@code RANDOM} is incompressible (stored raw even with LZO on), {@code TEXT} (a short
     * sentence repeated) compresses to a small fraction of a page, {@code ZERO} stores no data.
     */
    public enum Kind {
        RANDOM, TEXT, ZERO;

        public String label() { return name().toLowerCase(Locale.ROOT); }
    }

    public static void fill(MemorySegment f, Kind k, long seed) {
        switch (k) {
            case ZERO -> f.fill((byte) 0);
            case TEXT -> {
                byte[] t = ("tmem benchmark page " + seed + " lorem ipsum dolor sit amet ").getBytes();
                for (int i = 0; i < 4096; i++) f.set(ValueLayout.JAVA_BYTE, i, t[i % t.length]);
            }
            case RANDOM -> {
                SplittableRandom r = new SplittableRandom(seed);
                for (int i = 0; i < 4096; i += 8) f.set(U64_UNALIGNED, i, r.nextLong());
            }
        }
    }

    /** An engine, a {@code frames}-frame domain 1 whose frames [0, 32) hold pages of {@code kind}, and pool 0 of domain 1. */
    public record Engine(TmemEngine engine, BenchDomain dom) {
        /** One tmem_op of domain 1 through the engine (what the hypercall handler calls after decoding). */
        public long op(int cmd, long oid, int index, long gfn) {
            TmemRequest r = TmemRequest.page(cmd, 0, new TmemOid(oid, 0, 0), index, gfn);
            return engine.tmemOp(AbiProfile.XEN_4_12, DOMID, false, () -> r, dom::ramFrame, x -> 0);
        }

        public long put(long oid, int index, long gfn) { return op(TmemDefs.PUT_PAGE, oid, index, gfn); }

        public long get(long oid, int index, long gfn) { return op(TmemDefs.GET_PAGE, oid, index, gfn); }

        public long storedPages() { return engine.stats().storedPages(); }

        /** Pages charged for the stored data: the domain's extra pages (persistent) or tmem's host pages (ephemeral). */
        public long chargedPages() { return dom.tot + engine.freeablePages() - engine.freeListPages(); }
    }

    public static Engine engine(int frames, Kind kind, boolean compress, boolean persistent) {
        return engine(frames, kind, compress, persistent, TmemCompression.LZ4);
    }

    /** As {@link #engine(int, Kind, boolean, boolean)} with the given compression algorithm. */
    public static Engine engine(int frames, Kind kind, boolean compress, boolean persistent, TmemCompression codec) {
        return engine(frames, kind, compress, persistent, codec, 1);
    }

    /** As {@link #engine(int, Kind, boolean, boolean, TmemCompression)} with liblz4 at {@code lz4Acceleration}. */
    public static Engine engine(int frames, Kind kind, boolean compress, boolean persistent, TmemCompression codec, int lz4Acceleration) {
        BenchDomain dom = new BenchDomain(Math.max(frames, 64));
        TmemEngine e = new TmemEngine(new HostMemory(1L << 40), id -> id == DOMID ? dom : null,
                new TmemEngine.Config(true, compress, System::nanoTime, codec, lz4Acceleration));
        Supplier<TmemRequest> np = () -> TmemRequest.newPool(0, 0, (1 << 24) | (persistent ? TmemDefs.POOL_PERSIST : 0));
        long pool = e.tmemOp(AbiProfile.XEN_4_12, DOMID, false, np, dom::ramFrame, x -> 0);
        if (pool != 0) throw new IllegalStateException("new pool -> " + pool);
        for (int i = 0; i < 32; i++) fill(dom.ramFrame(i), kind, i);
        return new Engine(e, dom);
    }
}
