package org.fallow.cli.bench;

import org.fallow.cli.FallowMain;
import org.fallow.hypervisor.tmem.bench.TmemBench;
import org.fallow.xc.bench.RingBench;
import org.fallow.xc.bench.TmemSocketBench;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The plumbing of {@code fallow bench}: every benchmark is mounted and parses its options, and a run with minimal
 * sizes exits 0 and prints its parameters and table header. Nothing about speed is asserted (figures are only
 * printed; docs/BENCHMARKS.md has them).
 */
class BenchCommandsTest {
    private record Run(int exit, String out, String err) {}

    /** Runs {@code fallow bench ARGS} through the real command tree, capturing stdout/stderr. */
    private static Run bench(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            CommandLine cl = FallowMain.commandLine(); // built after the swap: the benches print to System.out as it is now
            StringWriter picoErr = new StringWriter();
            cl.setErr(new PrintWriter(picoErr));
            String[] full = new String[args.length + 1];
            full[0] = "bench";
            System.arraycopy(args, 0, full, 1, args.length);
            int rc = cl.execute(full);
            return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8) + picoErr);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private static <T> T parsed(Class<T> type, String... args) {
        CommandLine cl = FallowMain.commandLine();
        String[] full = new String[args.length + 1];
        full[0] = "bench";
        System.arraycopy(args, 0, full, 1, args.length);
        CommandLine.ParseResult pr = cl.parseArgs(full);
        while (pr.subcommand() != null) pr = pr.subcommand();
        return type.cast(pr.commandSpec().userObject());
    }

    @Test
    void everyBenchmarkIsMountedUnderBench() {
        CommandLine bench = FallowMain.commandLine().getSubcommands().get("bench");
        assertEquals(List.of("rtt", "attack", "tmem", "tmem-socket", "compression", "ring", "paging", "pod", "create", "jmh", "startup", "goals", "help"), List.copyOf(bench.getSubcommands().keySet()),
                "every benchmark, then help (bench help CMD)");
    }

    @Test
    void goalsParsesItsStepsAndTimeout() {
        GoalsBench g = parsed(GoalsBench.class, "goals", "--only", "rtt,paging", "--step-timeout-minutes", "5");
        assertEquals(List.of("rtt", "paging"), g.only);
        assertEquals(5, g.stepTimeoutMinutes);
        assertEquals(60, parsed(GoalsBench.class, "goals").stepTimeoutMinutes);
    }

    @Test
    void optionsParse() {
        assertNotNull(parsed(TmemBench.class, "tmem", "--pages", "128", "--batch", "8", "--rounds", "2", "--no-metadata"));
        TmemSocketBench ts = parsed(TmemSocketBench.class, "tmem-socket", "--pages", "64", "--batches", "1,4");
        assertNotNull(ts);
        assertNotNull(parsed(RingBench.class, "ring", "--events", "10", "--windows", "1,2,8"));
        PagingBench p = parsed(PagingBench.class, "paging", "--mode", "in_process", "--frames", "256", "--vcpus", "1,2");
        assertEquals(PagingBench.Mode.in_process, p.mode);
        assertArrayEquals(new int[] {1, 2}, p.vcpus);
        assertEquals(256, p.frames);
        PodBench pod = parsed(PodBench.class, "pod", "--memory", "2", "--vcpus", "1");
        assertEquals(2, pod.memoryMb);
        assertNull(pod.maxmemMb, "maxmem defaults to 2 x memory at run time");
        CreateBench c = parsed(CreateBench.class, "create", "--memory", "8", "--maxmem", "16,32", "--rounds", "2");
        assertArrayEquals(new long[] {16, 32}, c.maxmemMb);
        assertEquals(2, c.rounds);
        JmhCommand j = parsed(JmhCommand.class, "jmh", "-wi", "0", "-i", "1", "Ring");
        assertEquals(List.of("-wi", "0", "-i", "1", "Ring"), j.jmhArgs);
    }

    @Test
    void badValuesAreUsageErrors() {
        assertEquals(2, bench("tmem", "--pages", "many").exit());
        assertEquals(2, bench("paging", "--mode", "sideways").exit());
        assertEquals(2, bench("ring", "--no-such-option").exit());
    }

    @Test
    void jmhQuickDefaultsApplyOnlyToOptionsNotGiven() {
        List<String> none = JmhCommand.withDefaults(List.of());
        assertEquals(List.of("-f", "1", "-wi", "2", "-i", "3", "-w", "1s", "-r", "1s", "-jvmArgsAppend"), none.subList(0, 11));
        assertTrue(none.get(11).startsWith("-Dorg.slf4j.simpleLogger.defaultLogLevel="), none.toString());
        assertEquals(12, none.size());
        assertEquals(List.of("-f", "1", "-i", "3", "-w", "1s", "-r", "1s", "-jvmArgsAppend", "-Xmx1g", "-wi", "0", "Tmem"),
                JmhCommand.withDefaults(List.of("-jvmArgsAppend", "-Xmx1g", "-wi", "0", "Tmem")));
    }

    @Test @Timeout(120)
    void tmemTinyRun() {
        Run r = bench("tmem", "--pages", "64", "--batch", "16", "--rounds", "1", "--no-metadata", "--corpus-pages", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("--pages 64 --batch 16 --rounds 1"), r.out());
        assertTrue(r.out().contains("path        kind    compress  put pages/s  get pages/s  put+get pages/s  x floor"), r.out());
        assertEquals(1, r.out().lines().filter(l -> l.matches("memcpy\\s+floor\\s+-\\s+-\\s+-\\s+\\d+\\s+1\\.00")).count(), r.out());
        // engine: random and text x {off, lzo, lz4, words}, zero x {off, lz4, words}; hypercall: random and text x the four
        assertEquals(19, r.out().lines().filter(l -> l.startsWith("engine") || l.startsWith("hypercall")).count(), r.out());
    }

    @Test @Timeout(120)
    void ringTinyRun() {
        Run r = bench("ring", "--events", "200", "--rounds", "1", "--windows", "1,8", "--two-threads");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("mode         window     events    best events/s  median events/s   ns/event    x floor"), r.out());
        assertEquals(1, r.out().lines().filter(l -> l.matches("memcpy floor\\s+-\\s+200\\s+\\d+\\s+\\d+\\s+[\\d.]+\\s+1\\.00")).count(), r.out());
        assertEquals(4, r.out().lines().filter(l -> l.matches("(one|two) threads?\\s+[18]\\s+200\\s+\\d+\\s+\\d+\\s+[\\d.]+\\s+[\\d.]+")).count(), r.out());
    }

    @Test @Timeout(180)
    void tmemSocketTinyRun() {
        Run r = bench("tmem-socket", "--pages", "64", "--rounds", "1", "--batches", "1,16", "--stored", "100", "--max-warmup-passes", "2");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().matches("(?s).*warm-up: [12] pass\\(es\\) of one round per batch size.*"), r.out());
        assertTrue(r.out().contains("batch  put pages/s  get pages/s  put+get pages/s  x floor"), r.out());
        assertTrue(r.out().contains("stored 100 pages first"), r.out());
        // batch, put, get, put+get pages/s, x floor, hypervisor CPU ns per put and per get, x off ("-": no off run)
        assertEquals(2, r.out().lines().filter(l -> l.matches("\\s+(1|16)\\s+\\d+\\s+\\d+\\s+\\d+\\s+[\\d.]+\\s+\\d+\\s+\\d+\\s+[\\d.]+")).count(), r.out());
    }

    /**
     * {@code bench compression}: the engine rows and the socket rows of one corpus, then the goal's two summary lines,
     * whose engine figures are the printed heap-image words and lz4 rows' (and their paired-rounds line's) and whose
     * socket figures are the printed "x off" of the words, lz4 and lzo hypervisors (and their paired-rounds line's).
     */
    @Test @Timeout(300)
    void compressionTinyRunPrintsBothViews() {
        Run r = bench("compression", "--corpus-pages", "64", "--rounds", "1", "--socket-rounds", "1", "--socket-pages", "64",
                "--batch", "16", "--max-warmup-passes", "1");
        assertEquals(0, r.exit(), r.err());
        String[] words = line(r.out(), "heap image\\s+words\\s+\\d+.*");
        String[] lz4 = line(r.out(), "heap image\\s+lz4\\s+\\d+.*");
        String[] engine = line(r.out(), "engine: words .*");
        assertEquals(words[5] + "x", engine[2], "words x pages");
        assertEquals(words[7] + "x", engine[6], "words put x off");
        assertEquals(lz4[5] + "x", engine[11], "lz4 x pages");
        assertEquals(lz4[7] + "x", engine[15], "lz4 put x off");
        // the paired figures: those of the heap-image "put CPU x off paired" line
        java.util.regex.Matcher paired = java.util.regex.Pattern.compile(
                "heap image\\s+put CPU x off paired \\(median over the 1 rounds of codec / off in the same round\\): lzo ([\\d.]+), lz4 ([\\d.]+), lz4 a2 [\\d.]+, lz4 a4 [\\d.]+, words ([\\d.]+)")
                .matcher(r.out());
        assertTrue(paired.find(), r.out());
        assertEquals(paired.group(3) + "x);", engine[9], "words paired");
        assertEquals(paired.group(2) + "x)", engine[18], "lz4 paired");
        assertTrue(r.out().contains("heap image             lz4 a4"), r.out());
        List<String> xOff = r.out().lines().filter(l -> l.matches("\\s+16\\s+\\d+\\s+\\d+\\s+\\d+\\s+[\\d.]+\\s+\\d+\\s+\\d+\\s+[\\d.]+"))
                .map(l -> l.trim().split("\\s+")[7]).toList();
        assertEquals(4, xOff.size(), r.out()); // off, words, lz4, lzo
        assertEquals("1.00", xOff.get(0));
        String[] socket = line(r.out(), "socket: words put .*");
        assertEquals(xOff.get(1) + "x", socket[3], r.out());
        assertEquals(xOff.get(2) + "x", socket[9], r.out());
        assertEquals(xOff.get(3) + "x", socket[15], r.out());
        // the socket's paired figures: those of its "x off paired" line; with one round, each is that round's ratio,
        // which is also the best round's
        java.util.regex.Matcher socketPaired = java.util.regex.Pattern.compile(
                "batch 16, hv CPU per put x off paired \\(median over the 1 rounds of codec / off in the same round\\): words ([\\d.]+) lz4 ([\\d.]+) lzo ([\\d.]+)")
                .matcher(r.out());
        assertTrue(socketPaired.find(), r.out());
        assertEquals(socketPaired.group(1) + "x),", socket[6], "words paired");
        assertEquals(socketPaired.group(2) + "x),", socket[12], "lz4 paired");
        assertEquals(socketPaired.group(3) + "x)", socket[18], "lzo paired");
        for (int i = 1; i <= 3; i++) assertEquals(xOff.get(i), socketPaired.group(i), "one round: paired = best / best");
    }

    /** The one line of {@code out} matching {@code regex}, split on blanks. */
    private static String[] line(String out, String regex) {
        List<String> m = out.lines().filter(l -> l.matches(regex)).toList();
        assertEquals(1, m.size(), "one line matching " + regex + " in:\n" + out);
        return m.get(0).trim().split("\\s+");
    }

    /** A printed cost ratio is the floor's printed rate over the row's (up to the printing's rounding). */
    private static void assertRatio(String ratio, String floorRate, String rate, String out) {
        double expected = Double.parseDouble(floorRate) / Double.parseDouble(rate);
        assertEquals(expected, Double.parseDouble(ratio), 0.006 + 0.01 * expected, out);
    }

    @Test @Timeout(180)
    void pagingTinyRunInProcessAndOverTheWire() {
        Run r = bench("paging", "--frames", "256", "--vcpus", "1", "--wire-vcpus", "2", "--rounds", "1", "--floor-round-trips", "200",
                "--bulk-frames", "1024", "--wire-bulk-frames", "1024", "--bulk-pairs", "1");
        assertEquals(0, r.exit(), r.err());
        String o = r.out();
        assertTrue(o.contains("path        vcpus   pass  page-ins  seconds   page-ins/s  x floor"), o);
        assertTrue(o.matches("(?s).*floors: \\d+ 4 KiB copies/s, \\d+ raw UDS round trips/s \\(40 B -> 32 B, echo process\\).*"), o);
        assertTrue(o.contains("load at the start ") && o.contains("load at the end "), o);
        String[] two = line(o, "floor\\s+2 copies\\s+-\\s+-\\s+\\d+\\s+1\\.00");
        String[] one = line(o, "floor\\s+1 copy\\s+-\\s+-\\s+\\d+\\s+1\\.00");
        String[] wire = line(o, "floor\\s+UDS RTT \\+ 2 copies\\s+-\\s+-\\s+\\d+\\s+1\\.00");
        assertTrue(Double.parseDouble(one[5]) > Double.parseDouble(two[5]) && Double.parseDouble(two[5]) > Double.parseDouble(wire[8]), o);
        String[] in = line(o, "in-process\\s+1\\s+1\\s+\\d+\\s+[\\d.]+\\s+\\d+\\s+[\\d.]+");
        assertRatio(in[6], two[5], in[5], o);
        // bulk page-in: a warm-up pair (w) and one measured pair per path, each row x its floor, then median and ratio lines
        assertTrue(o.contains("path        bulk row      pair  page-ins  seconds   page-ins/s  x floor  exit s  down s cpu us/pg"), o);
        for (String path : new String[] {"in-process", "wire"}) {
            String[] floor = line(o, "bulk floor: \\d+ 4 KiB copies/s \\(1024-page store\\)"
                    + (path.equals("wire") ? " \\+ 1/64 of a raw UDS round trip \\(\\d+/s\\)" : "") + ": \\d+ page-ins/s");
            String floorRate = floor[floor.length - 2];
            for (String pair : new String[] {"w", "1"}) {
                String[] raise = line(o, path + "\\s+target-raise\\s+" + pair + "\\s+\\d+\\s+[\\d.]+\\s+\\d+\\s+[\\d.]+\\s+-\\s+[\\d.]+\\s+([\\d.]+|-)");
                assertRatio(raise[6], floorRate, raise[5], o);
                String[] term = line(o, path + "\\s+SIGTERM\\s+" + pair + "\\s+\\d+\\s+[\\d.]+\\s+\\d+\\s+[\\d.]+\\s+[\\d.]+\\s+[\\d.]+\\s+([\\d.]+|-)");
                assertRatio(term[6], floorRate, term[5], o);
                assertTrue(Double.parseDouble(term[7]) >= Double.parseDouble(term[4]), "exited after paging in: " + o);
            }
            line(o, path + "\\s+target-raise\\s+median \\d+ page-ins/s \\(min \\d+, max \\d+\\), x floor [\\d.]+ \\([\\d.]+-[\\d.]+\\); cpu .+ us/page-in");
            line(o, path + "\\s+SIGTERM / target-raise page-in rate per pair: [\\d.]+; median [\\d.]+ \\(min [\\d.]+, max [\\d.]+\\)");
        }
        String[] w = line(o, "wire\\s+2\\s+1\\s+\\d+\\s+[\\d.]+\\s+\\d+\\s+[\\d.]+");
        assertRatio(w[6], wire[8], w[5], o);
    }

    @Test @Timeout(180)
    void podTinyRun() {
        Run r = bench("pod", "--memory", "2", "--vcpus", "1", "--rounds", "1", "--floor-round-trips", "200");
        assertEquals(0, r.exit(), r.err());
        String o = r.out();
        assertTrue(o.contains("--memory 2 --maxmem 4 --vcpus 1 --rounds 1"), o);
        assertTrue(o.contains("vcpus  boot  scrubbed    faults   scrub ms       faults/s  x floor"), o);
        assertTrue(o.matches("(?s).*floor: 1 raw UDS round trip \\(40 B -> 32 B, echo process\\) \\+ 1 page copy per fault: \\d+ round trips/s, \\d+ 4 KiB copies/s.*"), o);
        assertTrue(o.contains("load at the start ") && o.contains("load at the end "), o);
        String[] floor = line(o, "floor\\s+-\\s+-\\s+-\\s+-\\s+\\d+\\s+1\\.00");
        // 4 MiB maxmem = 1024 gfns less the 0x20-frame VGA hole, all scrubbed
        String[] row = line(o, "\\s+1\\s+1\\s+992\\s+\\d+\\s+\\d+\\s+\\d+\\s+[\\d.]+");
        assertRatio(row[6], floor[5], row[5], o);
    }

    @Test @Timeout(180)
    void createTinyRun() {
        Run r = bench("create", "--memory", "2", "--maxmem", "4,64", "--rounds", "1");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("--memory 2 --maxmem 4,64 --rounds 1 + 1 warm-up"), r.out());
        assertTrue(r.out().contains("maxmem MiB    median ms    best ms ratio to first p2m stored KiB"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+4\\s+[\\d.]+\\s+[\\d.]+\\s+1\\.00\\s+\\d+")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+64\\s+[\\d.]+\\s+[\\d.]+\\s+[\\d.]+\\s+\\d+")), r.out());
        assertTrue(r.out().contains("load after: "), r.out());
    }

    @Test @Timeout(120)
    void jmhListsTheProjectBenchmarksAndRunsOneInProcess() {
        Run list = bench("jmh", "-l");
        assertEquals(0, list.exit(), list.err());
        for (String b : List.of("TmemEngineBenchmark.put", "TmemEngineBenchmark.get", "RingBenchmark.produceConsume",
                "FrameCodecBenchmark.nettyDecode", "FrameCodecBenchmark.nettyEncode"))
            assertTrue(list.out().contains("org.fallow.cli.bench.jmh." + b), list.out());
        Run one = bench("jmh", "-f", "0", "-wi", "0", "-i", "1", "-r", "100ms", "FrameCodecBenchmark.clientEncode");
        assertEquals(0, one.exit(), one.err());
        String o = one.out();
        assertTrue(o.contains("floors added: ^\\Qorg.fallow.cli.bench.jmh.FrameCodecBenchmark.memcpyFloor\\E$"), o);
        assertTrue(o.contains("ops/s"), o);
        assertTrue(o.lines().anyMatch(l -> l.matches("benchmark\\s+params\\s+score\\s+floor\\s+x floor")), o);
        String[] floor = line(o, "FrameCodecBenchmark\\.memcpyFloor\\s+-\\s+\\d+\\s+\\(floor\\)\\s+1\\.00");
        String[] enc = line(o, "FrameCodecBenchmark\\.clientEncode\\s+-\\s+\\d+\\s+FrameCodecBenchmark\\.memcpyFloor\\s+[\\d.]+");
        assertRatio(enc[4], floor[2], enc[2], o);
    }

    @Test
    void jmhFloorsAreAddedOnlyForTheBenchmarksSelected() {
        assertEquals(List.of(), JmhFloors.floorIncludes(List.of()), "no regex: every benchmark runs, floors included");
        assertEquals(List.of("^\\Qorg.fallow.cli.bench.jmh.PageCopyFloorBenchmark.get\\E$", "^\\Qorg.fallow.cli.bench.jmh.PageCopyFloorBenchmark.put\\E$"),
                JmhFloors.floorIncludes(List.of("Tmem")));
        assertEquals(List.of("^\\Qorg.fallow.cli.bench.jmh.RingBenchmark.memcpyFloor\\E$"), JmhFloors.floorIncludes(List.of("Ring.*produce")));
        for (String b : JmhFloors.FLOOR_OF.keySet()) assertFalse(JmhFloors.isFloor(b), b + " is measured, not a floor");
    }
}
