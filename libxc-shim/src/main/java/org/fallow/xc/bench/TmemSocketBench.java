package org.fallow.xc.bench;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.bench.HeapImageCorpus;
import org.fallow.abi.bench.Median;
import org.fallow.abi.bench.PageCopyFloor;
import org.fallow.abi.fs.SafeFiles;
import org.fallow.abi.xen.MulticallEntry;
import org.fallow.abi.xen.TmemConstants;
import org.fallow.abi.xen.TmemOp;
import org.fallow.xc.XcDomain;
import org.fallow.xc.XcHandle;
import org.fallow.abi.process.HypervisorProcess;
import org.fallow.xc.transport.HypervisorConnection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;

/**
 * {@code fallow bench tmem-socket}: tmem put+get pages/s over the real socket. Starts a hypervisor child process,
 * creates a domain with the libxc calls, attaches as its guest and puts then gets N random pages in a private
 * ephemeral pool (gets are exclusive, so each round ends empty), one tmem_op per hypercall (batch 1) or
 * {@code batch} tmem_ops per {@code __HYPERVISOR_multicall}; {@code --stored N} pages of other objects are put first
 * and stay stored meanwhile. The memcpy floor (the two 4 KiB copies of a put+get, {@link PageCopyFloor}) is measured
 * in the same run and every row is also given as a ratio to it, with the hypervisor's CPU time per put and per get
 * (all its threads, {@code /proc/PID/task/TID/schedstat}). {@code --content heap} puts pages of the heap-image corpus
 * instead of random ones, and {@code --codecs off,words,lz4,lzo} runs one hypervisor per compression setting, all at
 * once, their measured rounds taking turns, so "x off" is the hypervisor CPU of a compressed put against an
 * uncompressed one over the same path, same run; "x off paired" is its median over the rounds taken within each round,
 * which the host's drift between rounds does not move.
 */
@Command(name = "tmem-socket", mixinStandardHelpOptions = true,
        description = "tmem put+get pages/s over the Unix socket: plain tmem_op hypercalls vs multicall batches.")
public final class TmemSocketBench implements Callable<Integer> {
    static final int FRAMES = 128;
    static final long OPS_GPA = 32 * 4096L, MC_GPA = 64 * 4096L, GET_GFN = 96;

    @Option(names = "--pages", defaultValue = "16384", description = "Random 4 KiB pages put then got per round at batch 1 (default ${DEFAULT-VALUE}).")
    int pages;

    /**
     * Pages per round of a batched row: a round of 16384 pages at batch 64 lasts ~30 ms here, shorter than the bursts of
     * host steal time and scheduler noise that decide it (rounds of one run spread 0.22-1.28 M put+get pages/s at 16384
     * pages, 0.64-1.13 M at 65536; docs/BENCHMARKS.md), so batched rows put and get 4x {@code --pages} unless told.
     */
    @Option(names = "--batched-pages", defaultValue = "0",
            description = "Pages per round at batch > 1 (default: 4x --pages).")
    int batchedPages;

    /** The pages a round of batch size {@code batch} puts and gets. */
    int pagesPerRound(int batch) { return batch == 1 ? pages : batchedPages > 0 ? batchedPages : 4 * pages; }

    /** The most pages any row's round puts (what the hypervisor's memory must hold beside the stored pages). */
    int maxPagesPerRound() {
        int m = 0;
        for (int b : batches) m = Math.max(m, pagesPerRound(b));
        return m;
    }

    @Option(names = "--rounds", defaultValue = "3", description = "Measured rounds per batch size; the best is in the table, every round's put+get after it (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--stored", defaultValue = "0",
            description = "Pages put first (batches of 64, other objects) and left stored while the rounds run (default ${DEFAULT-VALUE}).")
    int stored;

    @Option(names = "--batches", split = ",", defaultValue = "1,16,64",
            description = "tmem_ops per hypercall: 1 = plain tmem_op, more = one multicall (max 64; default ${DEFAULT-VALUE}).")
    int[] batches;

    PrintStream out = System.out;

    @Option(names = "--content", defaultValue = "random",
            description = "Page content: random (incompressible) or heap (the heap-image corpus of bench tmem; default ${DEFAULT-VALUE}).")
    String content;

    @Option(names = "--corpus-pages", defaultValue = "4096", description = "Distinct corpus pages with --content heap (default ${DEFAULT-VALUE}).")
    int corpusPages;

    @Option(names = "--codecs", split = ",", defaultValue = "off",
            description = "One hypervisor per entry, all at once, their rounds taking turns: off (no compression), words (the default codec where its vector coder runs), lz4 or lzo (-Dfallow.tmem.compress/codec; default ${DEFAULT-VALUE}).")
    List<String> codecs;

    /** Corpus pages given by a caller ({@link #corpus}) instead of a capture of this JVM's heap. */
    private byte[][] givenCorpus;
    /** "codec@batch" -> hv CPU per put / the uncompressed hypervisor's, best round over best round, filled by {@link #call}. */
    private final java.util.Map<String, Double> putCpuXOff = new java.util.HashMap<>();
    /** "codec@batch" -> the median over the rounds of the same ratio within each round, filled by {@link #call}. */
    private final java.util.Map<String, Double> putCpuXOffPaired = new java.util.HashMap<>();

    /** With {@code --content heap}: put these pages (e.g. the engine rows' corpus) instead of capturing a new one. */
    public TmemSocketBench corpus(byte[][] pages) {
        givenCorpus = pages;
        return this;
    }

    /** After {@link #call}: hypervisor CPU per put with {@code codec} at {@code batch} / with compression off; NaN if not run. */
    public double putCpuXOff(String codec, int batch) { return putCpuXOff.getOrDefault(codec + "@" + batch, Double.NaN); }

    /** After {@link #call}: as {@link #putCpuXOff} paired round by round (median over the rounds); NaN if not run. */
    public double pairedPutCpuXOff(String codec, int batch) { return putCpuXOffPaired.getOrDefault(codec + "@" + batch, Double.NaN); }

    @Override public Integer call() throws Exception {
        if (pages < 1 || rounds < 1 || stored < 0 || maxWarmupPasses < 1 || batchedPages < 0)
            throw new IllegalArgumentException("--pages, --rounds and --max-warmup-passes must be >= 1, --stored and --batched-pages >= 0");
        for (int b : batches) if (b < 1 || b > 64) throw new IllegalArgumentException("batch sizes must be in 1..64, got " + b);
        for (String c : codecs) if (!List.of("off", "lzo", "lz4", "words").contains(c)) throw new IllegalArgumentException("codecs are off, lzo, lz4 or words, got " + c);
        byte[][] corpus = switch (content) {
            case "random" -> null;
            case "heap" -> givenCorpus != null ? givenCorpus : HeapImageCorpus.capture(corpusPages).pages();
            default -> throw new IllegalArgumentException("--content is random or heap, got " + content);
        };
        double floor = 0;
        for (int r = 0; r < rounds; r++) floor = Math.max(floor, PageCopyFloor.pagesPerSecond(pages));
        out.printf(Locale.ROOT, "tmem socket bench: --pages %d --batched-pages %d --stored %d --rounds %d --batches %s --content %s%s --codecs %s (private ephemeral pool; best put+get round after warm-up passes until both JITs settle), load %s%n",
                pages, pagesPerRound(64), stored, rounds, join(batches), content, corpus == null ? "" : " (" + corpus.length + " distinct pages)",
                String.join(",", codecs), PageCopyFloor.load());
        out.printf(Locale.ROOT, "memcpy floor (the two 4 KiB copies of a put+get, this process, same run): %.0f pages/s%n", floor);
        if (codecs.size() > 1 && stored > 0) {
            long need = (long) codecs.size() * stored * 4096L, avail = memAvailableBytes();
            if (avail > 0 && need > avail / 2)
                throw new IllegalArgumentException(String.format(Locale.ROOT, "--stored %d with %d codecs keeps %d hypervisors of %d pages"
                        + " each at once (~%d MiB), more than half of this machine's available memory (%d MiB): give fewer codecs",
                        stored, codecs.size(), codecs.size(), stored, need >> 20, avail >> 20));
        }
        List<CodecHypervisor> hvs = new java.util.ArrayList<>();
        try {
            for (String codec : codecs) {
                if (codecs.size() > 1 || !codec.equals("off")) out.printf(Locale.ROOT, "codec %s:%n", codec);
                CodecHypervisor h = new CodecHypervisor(codec);
                hvs.add(h);
                h.open(corpus);
                warmUp(h.g, h.mem, h.hv.pid());
            }
            measure(hvs, floor);
        } finally {
            for (CodecHypervisor h : hvs) h.close();
        }
        out.printf(Locale.ROOT, "load at the end %s%n", PageCopyFloor.load());
        return 0;
    }

    /**
     * The measured rounds: for each batch size, round r of every codec's hypervisor in turn (the first codec to go
     * rotating round by round), so that the host's drift over the run meets every codec alike; then each codec's
     * table (its best round), and with {@code off} and another codec the hypervisor CPU per put of each codec over
     * off's in the same round, the median over the rounds ("x off paired").
     */
    private void measure(List<CodecHypervisor> hvs, double floor) throws Exception {
        int n = hvs.size();
        double[][][][] x = new double[batches.length][n][rounds][]; // [batch][codec][round] -> round()
        long steal0 = stealTicks();
        for (int bi = 0; bi < batches.length; bi++)
            for (int r = 0; r < rounds; r++)
                for (int k = 0; k < n; k++) {
                    CodecHypervisor h = hvs.get((r + k) % n);
                    x[bi][(r + k) % n][r] = round(h.g, h.mem, batches[bi], h.hv.pid());
                }
        long steal1 = stealTicks();
        int off = codecs.indexOf("off");
        for (int c = 0; c < n; c++) {
            CodecHypervisor h = hvs.get(c);
            if (n > 1 || !h.codec.equals("off")) out.printf(Locale.ROOT, "codec %s (hypervisor pid %d):%n", h.codec, h.hv.pid());
            out.printf(Locale.ROOT, "%5s %12s %12s %16s %8s %14s %14s %7s%n", "batch", "put pages/s", "get pages/s", "put+get pages/s",
                    "x floor", "hv CPU ns/put", "hv CPU ns/get", "x off");
            StringBuilder everyRound = new StringBuilder();
            for (int bi = 0; bi < batches.length; bi++) {
                int b = batches[bi];
                double[] best = best(x[bi][c]);
                double[] each = new double[rounds];
                for (int r = 0; r < rounds; r++) each[r] = x[bi][c][r][2];
                everyRound.append(roundsLine(b, each)).append(cpuRoundsLine(b, x[bi][c]));
                String xOff = "-";
                if (off >= 0) {
                    double ratio = best[3] / best(x[bi][off])[3];
                    xOff = String.format(Locale.ROOT, "%.2f", ratio);
                    putCpuXOff.put(h.codec + "@" + b, ratio);
                    putCpuXOffPaired.put(h.codec + "@" + b, pairedPutCpuRatio(x[bi][c], x[bi][off]));
                }
                out.printf(Locale.ROOT, "%5d %12.0f %12.0f %16.0f %8.2f %14.0f %14.0f %7s%n", b, best[0], best[1], best[2], best[2] / floor,
                        best[3], best[4], xOff);
            }
            out.print(everyRound);
            out.printf(Locale.ROOT, "hypervisor GC over the whole run: %s%n", gcSummary(h.hv.pid()));
        }
        if (steal0 >= 0 && steal1 >= 0)
            out.printf(Locale.ROOT, "host steal time over the measured rounds: %.2f s of all CPUs' time (/proc/stat)%n", (steal1 - steal0) / 100.0);
        if (off >= 0 && n > 1)
            for (int b : batches) {
                StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                        "batch %d, hv CPU per put x off paired (median over the %d rounds of codec / off in the same round):", b, rounds));
                for (CodecHypervisor h : hvs)
                    if (!h.codec.equals("off")) sb.append(String.format(Locale.ROOT, " %s %.2f", h.codec, pairedPutCpuXOff(h.codec, b)));
                out.println(sb);
            }
    }

    /** The round with the most put+get pages/s. */
    private static double[] best(double[][] rounds) {
        double[] best = rounds[0];
        for (double[] r : rounds) if (r[2] > best[2]) best = r;
        return best;
    }

    /** The median over the rounds of {@code codec}'s hypervisor CPU per put / {@code off}'s in the same round. */
    static double pairedPutCpuRatio(double[][] codec, double[][] off) {
        return Median.ofRatios(putCpu(codec), putCpu(off));
    }

    /** Each round's hypervisor CPU per put (index 3 of {@link #round}'s answer). */
    private static double[] putCpu(double[][] rounds) {
        double[] c = new double[rounds.length];
        for (int r = 0; r < c.length; r++) c[r] = rounds[r][3];
        return c;
    }

    /** This machine's MemAvailable (/proc/meminfo) in bytes, 0 if unknown. */
    static long memAvailableBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo")))
                if (line.startsWith("MemAvailable:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        } catch (java.io.IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    /** One hypervisor with compression {@code codec}, its domain (attached as its guest) and pool, its stored pages. */
    private final class CodecHypervisor implements AutoCloseable {
        final String codec;
        private Path run;
        HypervisorProcess hv;
        private XcHandle xc;
        HypervisorConnection g;
        private FileChannel fc;
        private final Arena arena = Arena.ofShared();
        MemorySegment mem;

        CodecHypervisor(String codec) { this.codec = codec; }

        void open(byte[][] corpus) throws Exception {
            byte[] secret = new byte[16];
            new SplittableRandom().nextBytes(secret);
            int frames = FRAMES + (corpus == null ? 0 : corpus.length);
            // the stored pages, plus twice the pages stored at the end of a put phase; page data is off the Java heap
            long hostMib = 64 + (stored + 2L * maxPagesPerRound()) / 256 + frames / 256;
            List<String> jvm = new java.util.ArrayList<>(List.of("-Xmx512m", "-XX:MaxDirectMemorySize=" + (hostMib + 64) + "m",
                    "-XX:+UsePerfData")); // jstat reads the hypervisor's collections from its perf data
            if (!codec.equals("off")) jvm.addAll(List.of("-Dfallow.tmem.compress=true", "-Dfallow.tmem.codec=" + codec));
            run = org.fallow.abi.fs.MemoryFileStore.createScratchDir("flb", frames * 4096L); // the guest's frames
            hv = HypervisorProcess.start(run, jvm, "--host-mem", Long.toString(hostMib));
            xc = XcHandle.open(hv.socket(), AbiProfile.XEN_4_12);
            out.printf("started hypervisor pid %d on %s%n", hv.pid(), hv.socket());
            XcDomain dom = new XcDomain(xc);
            long d = dom.xc_domain_create_hvm(secret, 1);
            if (d < 0) throw new IllegalStateException("createdomain -> " + d);
            int domid = (int) d;
            check("max_mem", dom.xc_domain_setmaxmem(domid, frames * 4L));
            long[] gfns = new long[frames];
            for (int i = 0; i < frames; i++) gfns[i] = i;
            check("populate", dom.xc_domain_populate_physmap_exact(domid, 0, 0, gfns));
            check("unpause", dom.xc_domain_unpause(domid));
            g = HypervisorConnection.guest(hv.socket(), domid, secret, AbiProfile.XEN_4_12);
            fc = SafeFiles.openExisting(g.runDir().resolve("dom" + domid + ".mem"), true);
            mem = fc.map(FileChannel.MapMode.READ_WRITE, 0, frames * 4096L, arena);
            for (int f = 0; f < 32; f++) {
                SplittableRandom r = new SplittableRandom(f);
                for (int i = 0; i < 4096; i += 8) mem.set(U64_UNALIGNED, f * 4096L + i, r.nextLong());
            }
            corpusFrames = corpus == null ? 0 : corpus.length;
            for (int f = 0; f < corpusFrames; f++) MemorySegment.copy(MemorySegment.ofArray(corpus[f]), 0, mem, (FRAMES + f) * 4096L, 4096);
            newPool(g, mem);
            long t0 = System.nanoTime();
            for (int i = 0; i < stored; i += 64) TmemSocketBench.this.run(g, mem, 64, TmemConstants.TMEM_PUT_PAGE, STORED_OID, i, Math.min(64, stored - i));
            if (stored > 0)
                out.printf(Locale.ROOT, "stored %d pages first (batches of 64) at %.0f pages/s; they stay stored; hypervisor GC so far: %s%n",
                        stored, stored * 1e9 / (System.nanoTime() - t0), gcSummary(hv.pid()));
        }

        @Override public void close() {
            // each step on its own: a failure to open leaves the later ones null
            try { if (g != null) g.close(); } catch (Exception ignored) { /* the hypervisor goes next */ }
            try { if (fc != null) fc.close(); } catch (Exception ignored) { /* likewise */ }
            arena.close();
            try { if (xc != null) xc.close(); } catch (Exception ignored) { /* likewise */ }
            try { if (hv != null) hv.close(); } catch (Exception ignored) { /* likewise */ }
            SafeFiles.deleteTreeQuietly(run); // best effort: a scratch directory
        }
    }

    /** Warm-up passes end once each JIT (the hypervisor's and this client's) compiled for less than this share of a pass. */
    static final double SETTLED_JIT_SHARE = 0.02;

    /**
     * Warm-up: passes of one round per batch size until both JITs have settled, the hypervisor's (its compile time,
     * {@code jstat -compiler}) and this client's ({@link #ownCompileSeconds}), each under {@link #SETTLED_JIT_SHARE} of
     * the pass, at most {@code --max-warmup-passes}. One round was not enough: at batch 1 (the first rows) the
     * hypervisor's C2 threads still compiled for ~10 s after start (LogCompilation, 2026-12-02), a third of the samples
     * of its process (perf), on a machine of 2 cores, and their CPU went into "hv CPU ns/put". Nor was the hypervisor's
     * alone: with 1 M pages stored, the client's C2 thread took 9 % of the samples of the measured rounds (perf,
     * 2026-12-02 23:13): a third runnable thread on 2 cores, which also turns the poll before block off (PROTOCOL §9.1.3).
     */
    private void warmUp(HypervisorConnection g, MemorySegment mem, long pid) throws Exception {
        int passes = 0;
        double share, ownShare, c0 = compileSeconds(pid), o0 = ownCompileSeconds();
        do {
            long t0 = System.nanoTime();
            for (int b : batches) round(g, mem, b, pid);
            passes++;
            double c1 = compileSeconds(pid), o1 = ownCompileSeconds(); // one jstat per pass (each is a JVM start)
            double seconds = (System.nanoTime() - t0) / 1e9;
            share = (c1 - c0) / seconds;
            ownShare = (o1 - o0) / seconds;
            c0 = c1;
            o0 = o1;
        } while (!(share < SETTLED_JIT_SHARE && ownShare < SETTLED_JIT_SHARE) && !Double.isNaN(share) && passes < maxWarmupPasses);
        out.printf(Locale.ROOT, "warm-up: %d pass(es) of one round per batch size; JIT compile time in the last pass: hypervisor %s, this client %.1f %% of it%n",
                passes, Double.isNaN(share) ? "unknown (jstat)" : String.format(Locale.ROOT, "%.1f %%", 100 * share), 100 * ownShare);
    }

    /** This JVM's total JIT compile time so far in seconds (0 if the JVM does not say). */
    static double ownCompileSeconds() {
        java.lang.management.CompilationMXBean c = java.lang.management.ManagementFactory.getCompilationMXBean();
        return c != null && c.isCompilationTimeMonitoringSupported() ? c.getTotalCompilationTime() / 1e3 : 0;
    }

    @Option(names = "--max-warmup-passes", defaultValue = "20",
            description = "At most this many warm-up passes (one round per batch size each) while the hypervisor's JIT is busy (default ${DEFAULT-VALUE}).")
    int maxWarmupPasses;

    /** The hypervisor JVM's total JIT compile time so far in seconds ({@code jstat -compiler}), NaN if unknown. */
    static double compileSeconds(long pid) {
        java.util.Map<String, String> c = jstat(pid, "-compiler");
        try {
            return c == null || !c.containsKey("Time") ? Double.NaN : Double.parseDouble(c.get("Time"));
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /**
     * The hypervisor JVM's collections so far, from {@code jstat -gcutil} (its perf-data counters: young and full GC
     * counts and seconds), or why not.
     */
    static String gcSummary(long pid) {
        java.util.Map<String, String> v = jstat(pid, "-gcutil");
        if (v == null || !v.containsKey("YGC")) return "unavailable (jstat)";
        return String.format(Locale.ROOT, "%s young (%s s), %s full (%s s)", v.get("YGC"), v.get("YGCT"), v.get("FGC"), v.get("FGCT"));
    }

    /** One {@code jstat <option> pid} sample as column -> value, or null if jstat could not say. */
    static java.util.Map<String, String> jstat(long pid, String option) {
        Path jstat = Path.of(System.getProperty("java.home"), "bin", "jstat");
        try {
            Process p = new ProcessBuilder(jstat.toString(), option, Long.toString(pid)).redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readNBytes(4096), java.nio.charset.StandardCharsets.UTF_8);
            if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly();
            List<String> lines = text.lines().toList();
            if (lines.size() < 2) return null;
            String[] head = lines.get(0).trim().split("\\s+"), val = lines.get(1).trim().split("\\s+");
            java.util.Map<String, String> m = new java.util.HashMap<>();
            for (int i = 0; i < Math.min(head.length, val.length); i++) m.put(head[i], val[i]);
            return m;
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** CPU time of every thread of process {@code pid} so far (the first field of each task's schedstat), in ns. */
    static long cpuNanos(long pid) {
        long sum = 0;
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    sum += Long.parseLong(Files.readString(t.resolve("schedstat")).trim().split("\\s+")[0]);
                } catch (java.io.IOException | RuntimeException gone) {
                    // a thread that ended meanwhile
                }
            }
        } catch (java.io.IOException e) {
            return -1;
        }
        return sum;
    }

    private static String join(int[] a) {
        return String.join(",", java.util.Arrays.stream(a).mapToObj(Integer::toString).toList());
    }

    private static void check(String what, long rc) {
        if (rc != 0) throw new IllegalStateException(what + " -> " + rc);
    }

    private static void newPool(HypervisorConnection g, MemorySegment mem) throws Exception {
        new TmemOp().wrap(mem, OPS_GPA).clear().cmd(TmemConstants.TMEM_NEW_POOL)
                .creatFlags(TmemConstants.poolFlags(false, false, TmemConstants.TMEM_SPEC_VERSION)); // private, ephemeral
        check("new pool", g.hypercall(Hypercalls.TMEM_OP, OPS_GPA));
    }

    /** {put, get, put+get pages/s, hypervisor CPU ns per put, per get}. */
    private double[] round(HypervisorConnection g, MemorySegment mem, int batch, long hvPid) throws Exception {
        int pages = pagesPerRound(batch);
        long c0 = cpuNanos(hvPid), t0 = System.nanoTime();
        for (int i = 0; i < pages; i += batch) run(g, mem, batch, TmemConstants.TMEM_PUT_PAGE, 0, i, Math.min(batch, pages - i));
        long c1 = cpuNanos(hvPid), t1 = System.nanoTime();
        for (int i = 0; i < pages; i += batch) run(g, mem, batch, TmemConstants.TMEM_GET_PAGE, 0, i, Math.min(batch, pages - i));
        long c2 = cpuNanos(hvPid), t2 = System.nanoTime();
        return new double[] {pages * 1e9 / (t1 - t0), pages * 1e9 / (t2 - t1), 2.0 * pages * 1e9 / (t2 - t0),
                (c1 - c0) / (double) pages, (c2 - c1) / (double) pages};
    }

    /** "batch B, put+get pages/s of every round: a b c (median m)": the spread behind the best. */
    static String roundsLine(int batch, double[] each) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "batch %d, put+get pages/s of every round:", batch));
        for (double x : each) sb.append(String.format(Locale.ROOT, " %.0f", x));
        return sb.append(String.format(Locale.ROOT, " (median %.0f)%n", Median.of(each))).toString();
    }

    /**
     * "batch B, hv CPU ns per page of every round: a b c (hypervisor busy x-y of the wall time)": each round's
     * hypervisor CPU per put and get (indices 3, 4 of {@link #round}'s answer) averaged, and that times the round's
     * put+get pages/s (index 2): how much of the round the hypervisor's threads were on a CPU. Near 1 the round's rate
     * is set by the hypervisor's CPU time per page, not by waiting (session 10: 761-1320 ns a page between the rounds
     * of one run, no steal time, the rate moving with it; docs/BENCHMARKS.md). Above 1 its GC or JIT threads ran too.
     */
    static String cpuRoundsLine(int batch, double[][] rounds) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "batch %d, hv CPU ns per page of every round:", batch));
        double lo = Double.MAX_VALUE, hi = 0;
        for (double[] r : rounds) {
            double perPage = (r[3] + r[4]) / 2, busy = r[2] * perPage / 1e9;
            sb.append(String.format(Locale.ROOT, " %.0f", perPage));
            lo = Math.min(lo, busy);
            hi = Math.max(hi, busy);
        }
        return sb.append(String.format(Locale.ROOT, " (hypervisor busy %.2f-%.2f of the wall time)%n", lo, hi)).toString();
    }

    /** The host's steal time so far in clock ticks (the eighth number of /proc/stat's "cpu" line), -1 if unknown. */
    static long stealTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            return f[0].equals("cpu") && f.length > 8 ? Long.parseLong(f[8]) : -1;
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Oids of the --stored pages start here (the rounds use oids from 0). */
    static final long STORED_OID = 1L << 40;

    /**
     * One hypercall of {@code n} ops of {@code cmd} (PUT_PAGE or GET_PAGE) on pages {@code first ..} of objects from
     * {@code oidBase}: tmem_op structs at OPS_GPA, multicall entries at MC_GPA.
     */
    private void run(HypervisorConnection g, MemorySegment mem, int batch, int cmd, long oidBase, int first, int n) throws Exception {
        for (int j = 0; j < n; j++) {
            int p = first + j;
            long o = OPS_GPA + 64L * j;
            op.wrap(mem, o).cmd(cmd).poolId(0).genOid(oidBase + (p >>> 4), 0, 0).genIndex(p & 15)
                    .genCmfn(cmd != TmemConstants.TMEM_PUT_PAGE ? GET_GFN + (p & 31) : corpusFrames > 0 ? FRAMES + p % corpusFrames : (p & 31));
            if (batch > 1) mc.wrap(mem, MC_GPA + (long) MulticallEntry.SIZE * j).op(Hypercalls.TMEM_OP).result(0).args(0, o);
        }
        if (batch == 1) {
            long rc = g.hypercall(Hypercalls.TMEM_OP, OPS_GPA);
            if (rc != 1) throw new IllegalStateException("op " + cmd + " -> " + rc);
        } else {
            long rc = g.hypercall(Hypercalls.MULTICALL, MC_GPA, n);
            if (rc != 0) throw new IllegalStateException("multicall -> " + rc);
            for (int j = 0; j < n; j++) {
                long r = mc.wrap(mem, MC_GPA + (long) MulticallEntry.SIZE * j).result();
                if (r != 1) throw new IllegalStateException("op " + cmd + " -> " + r);
            }
        }
    }

    /** Frames FRAMES.. hold the corpus pages (--content heap), 0 = random pages in frames 0..31. */
    private int corpusFrames;
    private final TmemOp op = new TmemOp();
    private final MulticallEntry mc = new MulticallEntry();
}
