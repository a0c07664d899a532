package org.fallow.hypervisor.tmem.bench;

import org.fallow.hypervisor.tmem.TmemCompression;
import org.fallow.hypervisor.tmem.TmemDefs;
import org.fallow.abi.bench.HeapImageCorpus.Corpus;
import org.fallow.abi.bench.Median;
import org.fallow.hypervisor.tmem.bench.TmemBenchBed.Kind;

import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The compression rows of {@code fallow bench tmem}: every page of the heap-image corpus put into a persistent pool
 * (compression off, LZO, LZ4), then got back. "x pages" = corpus pages / pages charged for them (raw pages + the
 * arena pages of the compressed bytes): how many more pages the same memory holds. CPU is the measuring thread's CPU
 * time per page ({@link ThreadMXBean}), and "x off" compares it with the uncompressed put (or get) over the same
 * engine path in the same run (the codecs take turns round by round; the best round of each), each round's slabs
 * touched before it is timed (see {@link #round}). Every page got back
 * is compared with the corpus (in the warm-up round, untimed).
 * The rows repeat on the corpus without its same-filled pages, to show what the same-filled test contributes.
 */
public final class CompressionRows {
    /** A row's compression: {@code codec} null = off; {@code acceleration} liblz4's (LZ4 rows only). */
    private record Codec(TmemCompression codec, int acceleration, String label) {}

    /**
     * Off (the floor), LZO, LZ4 at liblz4's default acceleration, then LZ4 at two higher ones (what pages they trade
     * for CPU, {@code fallow.tmem.lz4.acceleration}), then words, the default codec where its vector coder runs (else LZ4 is).
     */
    private static final Codec[] CODECS = {new Codec(null, 1, "off"), new Codec(TmemCompression.LZO, 1, "lzo"),
            new Codec(TmemCompression.LZ4, 1, "lz4"), new Codec(TmemCompression.LZ4, 2, "lz4 a2"), new Codec(TmemCompression.LZ4, 4, "lz4 a4"),
            new Codec(TmemCompression.WORDS, 1, "words")};
    /** The index in {@link #CODECS} of words and of LZ4 at the default acceleration. */
    private static final int WORDS = 5, LZ4 = 2;
    /** {x pages, put x off, get x off, put x off paired} of each row of the last {@link #rows} call, in {@link #CODECS} order. */
    private double[][] ratios;
    private final PrintStream out;
    private final int rounds;
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

    /** {@code rounds} measured rounds per codec, at least 1. */
    public CompressionRows(PrintStream out, int rounds) {
        if (rounds < 1) throw new IllegalArgumentException("rounds must be >= 1, got " + rounds);
        this.out = out;
        this.rounds = rounds;
    }

    /**
     * A heap-image row: pages / charged, put CPU / the uncompressed put's (best round / best round), and the median over
     * the measured rounds of put CPU / the uncompressed put's in the same round.
     */
    public record Row(double xPages, double putXOff, double putXOffPaired) {}

    /** The heap-image rows of words and of LZ4 at liblz4's default acceleration. */
    public record Rows(Row words, Row lz4) {}

    /** Prints the rows; returns the heap-image words and LZ4 rows (issue 16's goal: >= 2x pages at <= 3x CPU). */
    public Rows run(Corpus corpus) {
        out.printf(Locale.ROOT, "heap-image corpus: %d pages of %d resident heap pages (MaxHeapSize %d MiB; %s): %d all-zero, %d same-filled (zero included)%n",
                corpus.size(), corpus.residentHeapPages(), corpus.heapBytes() >> 20, corpus.workload(), corpus.zero(), corpus.sameFilled());
        out.printf(Locale.ROOT, "codecs: lzo = %s, lz4 = %s (same-filled test first; lz4 aN = acceleration N), words = %s (same-filled test first; LZ4 too for a page left over %d bytes); compressed puts read the guest frame in place%n",
                TmemBenchBed.engine(64, Kind.ZERO, true, true, TmemCompression.LZO).engine().compressionImplementation(),
                TmemBenchBed.engine(64, Kind.ZERO, true, true, TmemCompression.LZ4).engine().compressionImplementation(),
                TmemBenchBed.engine(64, Kind.ZERO, true, true, TmemCompression.WORDS).engine().compressionImplementation(),
                TmemCompression.WORDS_LZ4_ABOVE);
        List<byte[]> mixed = new ArrayList<>();
        for (byte[] p : corpus.pages()) if (java.util.Arrays.mismatch(p, 0, 4088, p, 8, 4096) >= 0) mixed.add(p);
        out.printf(Locale.ROOT, "%-22s %-8s %8s %8s %8s %14s %7s %14s %7s%n", "corpus", "compress", "pages", "charged", "x pages",
                "put CPU ns/pg", "x off", "get CPU ns/pg", "x off");
        rows("heap image", corpus.pages());
        Rows heap = new Rows(new Row(ratios[WORDS][0], ratios[WORDS][1], ratios[WORDS][3]), new Row(ratios[LZ4][0], ratios[LZ4][1], ratios[LZ4][3]));
        rows("without same-filled", mixed.toArray(new byte[0][]));
        return heap;
    }

    /**
     * Warm-up rounds (verified) of every codec, then {@code rounds} rounds taking the codecs in turn; best of each, and
     * each codec's put CPU / the uncompressed put's of the same round (paired: the uncompressed put, a copy of a page
     * from memory, moved 487-733 ns between runs on this VM, which moved a best / best ratio with it).
     */
    private void rows(String label, byte[][] pages) {
        if (pages.length == 0) return;
        double[][] bests = new double[CODECS.length][];
        double[][] puts = new double[CODECS.length][rounds];
        for (int i = 0; i < CODECS.length; i++) bests[i] = round(pages, CODECS[i], true);
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < CODECS.length; i++) {
                double[] x = round(pages, CODECS[i], false);
                puts[i][r] = x[0];
                if (x[0] + x[1] < bests[i][0] + bests[i][1]) bests[i] = x;
            }
        }
        double[] off = bests[0];
        ratios = new double[CODECS.length][];
        StringBuilder paired = new StringBuilder();
        for (int i = 0; i < CODECS.length; i++) {
            double[] best = bests[i];
            double pairedXOff = Median.ofRatios(puts[i], puts[0]);
            ratios[i] = new double[] {pages.length / best[2], best[0] / off[0], best[1] / off[1], pairedXOff};
            out.printf(Locale.ROOT, "%-22s %-8s %8d %8d %8.2f %14.0f %7.2f %14.0f %7.2f%n", label, CODECS[i].label(),
                    pages.length, (long) best[2], pages.length / best[2], best[0], best[0] / off[0], best[1], best[1] / off[1]);
            if (i > 0) paired.append(String.format(Locale.ROOT, "%s %s %.2f", i == 1 ? "" : ",", CODECS[i].label(), pairedXOff));
        }
        out.printf(Locale.ROOT, "%-22s put CPU x off paired (median over the %d rounds of codec / off in the same round):%s%n", label, rounds, paired);
    }

    /** {put CPU ns/page, get CPU ns/page, pages charged}. */
    private double[] round(byte[][] pages, Codec codec, boolean verify) {
        int n = pages.length;
        TmemCompression c = codec.codec();
        TmemBenchBed.Engine e = TmemBenchBed.engine(n + 64, Kind.ZERO, c != null, true, c == null ? TmemCompression.LZ4 : c, codec.acceleration());
        for (int i = 0; i < n; i++) MemorySegment.copy(MemorySegment.ofArray(pages[i]), 0, e.dom().ramFrame(i), 0, 4096);
        // every page put and flushed once, untimed: the timed puts then reuse slab slots whose memory is already
        // backed, as in a hypervisor at its high-water mark. Else each row paid the first touch of fresh slabs (the
        // host backing the memory: 6-8 µs per 4 KiB here), the off row most (twice the memory of lz4's), which made
        // its CPU swing 0.6-12 µs from run to run and every "x off" with it.
        putAll(e, n);
        for (int o = 0; o <= (n - 1) >>> 4; o++) e.op(TmemDefs.FLUSH_OBJECT, o, 0, 0);
        if (e.storedPages() != 0) throw new IllegalStateException("still stored after the flushes: " + e.storedPages());
        long t0 = threads.getCurrentThreadCpuTime();
        putAll(e, n);
        long t1 = threads.getCurrentThreadCpuTime();
        for (int i = 0; i < n; i++) check("get", e.get(i >>> 4, i & 15, n + (i & 63)));
        long t2 = threads.getCurrentThreadCpuTime();
        if (e.storedPages() != n) throw new IllegalStateException("stored " + e.storedPages() + " of " + n);
        if (verify) {
            for (int i = 0; i < n; i++) {
                check("get", e.get(i >>> 4, i & 15, n));
                if (MemorySegment.ofArray(pages[i]).mismatch(e.dom().ramFrame(n)) >= 0)
                    throw new IllegalStateException("page " + i + " came back different (" + codec.label() + ")");
            }
        }
        return new double[] {(t1 - t0) / (double) n, (t2 - t1) / (double) n, e.chargedPages()};
    }

    /** Puts frames 0..n-1 as pages of objects of 16 (frame i: object i / 16, index i % 16). */
    private static void putAll(TmemBenchBed.Engine e, int n) {
        for (int i = 0; i < n; i++) check("put", e.put(i >>> 4, i & 15, i));
    }

    private static void check(String what, long rc) {
        if (rc != 1) throw new IllegalStateException(what + " -> " + rc);
    }
}
