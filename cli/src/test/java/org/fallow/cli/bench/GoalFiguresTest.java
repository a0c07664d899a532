package org.fallow.cli.bench;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The goal figures read from the benches' own lines (excerpts of the session-9 run at 06:59 UTC, docs/BENCHMARKS.md). */
class GoalFiguresTest {
    static final String RTT = """
            unpinned
            row                                             p50 µs    p99 µs  p99.9 µs    max µs        ops/s   p50/raw
            ratio p50 to the echo thread (goal <= 1.3): raw frames 0.52x, HypervisorConnection 0.15x, +events 0.17x
            ratio p50 to the echo process (goal <= 1.3): raw frames 0.63x, HypervisorConnection 0.17x, +events 0.19x
            ratio p50 to the polling echo process (the same poll-before-block at both ends): HypervisorConnection 1.30x, +events 1.61x

            pinned to CPU 0
            ratio p50 to the echo thread (goal <= 1.3): raw frames 1.23x, HypervisorConnection 1.28x, +events 1.28x
            ratio p50 to the echo process (goal <= 1.3): raw frames 1.20x, HypervisorConnection 1.25x, +events 1.26x
            """;

    @Test void rttTakesHypervisorConnectionAgainstBothFloorsInEachPass() {
        GoalFigures.Goal unpinned = GoalFigures.rtt(RTT, false), pinned = GoalFigures.rtt(RTT, true);
        assertEquals("0.15x echo thread, 0.17x echo process", unpinned.figure());
        assertEquals(Boolean.TRUE, unpinned.met());
        assertEquals("1.28x echo thread, 1.25x echo process", pinned.figure());
        assertEquals(Boolean.TRUE, pinned.met());
        GoalFigures.Goal over = GoalFigures.rtt(RTT.replace("HypervisorConnection 1.25x", "HypervisorConnection 1.31x"), true);
        assertEquals(Boolean.FALSE, over.met(), "the worse of the two floors decides");
        assertNull(GoalFigures.rtt(RTT.substring(0, RTT.indexOf("pinned to CPU")), true).met(), "no pinned pass: no figure");
    }

    static final String TMEM_SOCKET = """
            tmem socket bench: --pages 16384 --batched-pages 65536 --stored 1048576 --rounds 3 --batches 64 --content random --codecs off (...)
            batch  put pages/s  get pages/s  put+get pages/s  x floor  hv CPU ns/put  hv CPU ns/get   x off
               64      1253669      1075635          1157848     0.71            773            916    1.00
            batch 64, put+get pages/s of every round: 1136355 1157848 986943 (median 1136355)
            """;

    @Test void tmemSocketIsTheBatch64RowsPutPlusGetWithOneMillionStored() {
        GoalFigures.Goal g = GoalFigures.tmemSocket(TMEM_SOCKET, "t");
        assertEquals("1.16 M put+get pages/s", g.figure());
        assertEquals(Boolean.TRUE, g.met());
        assertEquals(Boolean.FALSE, GoalFigures.tmemSocket(TMEM_SOCKET.replace("1157848     0.71", "839677     0.48"), "t").met());
        assertNull(GoalFigures.tmemSocket(TMEM_SOCKET.replace("--stored 1048576", "--stored 0"), "t").met(), "not the goal's setting");
    }

    static final String METADATA = """
            metadata    persistent   31.5 B/page in metadata arrays,   41.9 heap B/page,  64.0 slab B/page (16 pages per object; N=1048576)
            metadata    ephemeral    31.5 B/page in metadata arrays,   42.0 heap B/page,  64.0 slab B/page (16 pages per object; N=1048576)
            metadata    persistent   60.3 B/page in metadata arrays,  206.4 heap B/page,  64.0 slab B/page (1 pages per object; N=1048576)
            metadata    ephemeral    60.3 B/page in metadata arrays,  206.7 heap B/page,  64.0 slab B/page (1 pages per object; N=1048576)
            """;

    @Test void metadataIsTheWorseOfTheSixteenPagesPerObjectRows() {
        assertEquals("31.5 B", GoalFigures.metadata(METADATA).figure());
        assertEquals(Boolean.TRUE, GoalFigures.metadata(METADATA).met());
        GoalFigures.Goal over = GoalFigures.metadata(METADATA.replace("ephemeral    31.5", "ephemeral    32.5"));
        assertEquals("32.5 B", over.figure());
        assertEquals(Boolean.FALSE, over.met());
    }

    static final String COMPRESSION = """
            == issue 16: compression >= 2x pages at <= 3x CPU (heap-image corpus; the default codec on this JVM: words)
            engine: words 2.24x pages, put CPU 2.91x (paired rounds: 2.94x); lz4 2.39x pages, put CPU 8.85x (paired rounds: 9.70x) the uncompressed put (this thread's CPU, same engine path)
            socket: words put 2.62x (paired rounds: 2.50x), lz4 put 6.38x (paired rounds: 5.20x), lzo put 8.58x (paired rounds: 7.60x) the hypervisor CPU of an uncompressed put (batch 64, whole hypercall path)
            """;

    @Test void compressionGivesBothViewsFromThePairedRounds() {
        List<GoalFigures.Goal> g = GoalFigures.compression(COMPRESSION);
        assertEquals("2.24x pages at 2.50x CPU (best/best 2.62x)", g.get(0).figure());
        assertTrue(g.get(0).name().contains("socket"));
        assertEquals("2.24x pages at 2.94x CPU (best/best 2.91x)", g.get(1).figure());
        assertTrue(g.get(1).name().contains("engine"));
        assertEquals(Boolean.TRUE, g.get(0).met());
        assertEquals(Boolean.TRUE, g.get(1).met());
        List<GoalFigures.Goal> engineOver = GoalFigures.compression(COMPRESSION.replace("(paired rounds: 2.94x)", "(paired rounds: 3.61x)"));
        assertEquals(Boolean.TRUE, engineOver.get(0).met());
        assertEquals(Boolean.FALSE, engineOver.get(1).met());
        assertEquals(Boolean.FALSE, GoalFigures.compression(COMPRESSION.replace("words 2.24x pages", "words 1.98x pages")).get(0).met(), "pages count too");
    }

    /** Session 10's second goals run: the uncompressed hypervisor alone slowed for four of five rounds. */
    @Test void aViewWhosePairedAndBestOverBestFiguresDisagreeHasNoVerdict() {
        GoalFigures.Goal socket = GoalFigures.compression(COMPRESSION.replace("words put 2.62x (paired rounds: 2.50x)", "words put 3.86x (paired rounds: 1.35x)")).get(0);
        assertEquals("2.24x pages at 1.35x CPU (best/best 3.86x: unsteady)", socket.figure());
        assertNull(socket.met());
        assertEquals("no figure", socket.verdict());
        GoalFigures.Goal edge = GoalFigures.compression(COMPRESSION.replace("words put 2.62x (paired rounds: 2.50x)", "words put 3.00x (paired rounds: 2.00x)")).get(0);
        assertEquals(Boolean.TRUE, edge.met(), "1.5x apart is still steady");
    }

    @Test void createStartupAndPagingRows() {
        String create = """
                maxmem MiB    median ms    best ms ratio to first p2m stored KiB
                      1024        30.94      23.26           1.00              8
                     65536        25.55      17.99           0.83              8
                """;
        assertEquals("0.83x", GoalFigures.create(create).figure());
        assertEquals(Boolean.TRUE, GoalFigures.create(create).met());
        String startup = """
                command                            cpu s    wall s      cpu / B     wall / B   (medians; min-max of the ratios)
                ./fallow list                      0.153     0.160        3.36x        3.38x   (2.9-3.6, 3.2-4.2)
                java -version                      0.047     0.047        1.00x        1.00x   (1.0-1.0, 1.0-1.0)
                """;
        assertEquals("3.38x (CPU 3.36x)", GoalFigures.startup(startup).figure());
        assertEquals(Boolean.TRUE, GoalFigures.startup(startup).met());
        assertEquals(Boolean.FALSE, GoalFigures.startup(startup.replace("3.38x   (2.9", "4.10x   (2.9")).met());
        String paging = """
                in-process  SIGTERM / target-raise page-in rate per pair: 0.98 0.88 1.08 1.02 0.93; median 0.98 (min 0.88, max 1.08)
                wire        SIGTERM / target-raise page-in rate per pair: 1.06 1.10 1.14 1.06 1.02; median 1.06 (min 1.02, max 1.14)
                """;
        List<GoalFigures.Goal> p = GoalFigures.paging(paging);
        assertEquals("0.98", p.get(0).figure());
        assertEquals("1.06", p.get(1).figure());
        assertTrue(p.get(0).met() && p.get(1).met());
        assertEquals(Boolean.FALSE, GoalFigures.paging(paging.replace("median 0.98", "median 0.45")).get(0).met());
    }

    @Test void everyGoalMetIsJudgedPerCompressionViewAndAMissingFigureIsNotMet() {
        List<GoalFigures.Goal> goals = new ArrayList<>();
        goals.add(GoalFigures.rtt(RTT, false));
        goals.add(GoalFigures.tmemSocket(TMEM_SOCKET.replace("1157848     0.71", "839677     0.48"), "(info) tmem put+get over the socket, all on one CPU"));
        goals.addAll(GoalFigures.compression(COMPRESSION.replace("(paired rounds: 2.94x)", "(paired rounds: 3.61x)")));
        assertTrue(GoalFigures.allMet(goals, "socket"), "the engine view and an (info) row do not count here");
        assertFalse(GoalFigures.allMet(goals, "engine"));
        goals.add(GoalFigures.create("no table"));
        assertEquals("no figure", goals.getLast().verdict());
        assertFalse(GoalFigures.allMet(goals, "socket"));
        String table = GoalFigures.table(goals);
        assertTrue(table.contains("NOT met") && table.contains("0.15x echo thread, 0.17x echo process"), table);
    }

    /** A step's output is printed under its command line and kept for reading its figures, with its exit status. */
    @Test void aStepsOutputIsPrintedKeptAndItsExitStatusSaid() throws Exception {
        GoalsBench g = new GoalsBench();
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        g.out = new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8);
        g.stepTimeoutMinutes = 1;
        GoalsBench.Run r = g.run(List.of("sh", "-c", "printf 'ratio line\\nno end of line'; exit 3"));
        assertEquals(3, r.exit());
        assertEquals("ratio line\nno end of line", r.output());
        String text = printed.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(text.startsWith("$ sh -c printf"), text);
        assertTrue(text.contains("ratio line\nno end of line\nexit 3 after "), text);
    }

    @Test void onlyRunsTheNamedStepsInTheRunsOrderAndRefusesUnknownOnes() {
        assertEquals(List.of("tmem-socket", "paging"),
                GoalsBench.selected(List.of("paging", "tmem-socket")).stream().map(GoalsBench.Step::name).toList());
        assertEquals(GoalsBench.STEPS, GoalsBench.selected(null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GoalsBench.selected(List.of("rtt", "speed")));
        assertTrue(e.getMessage().contains("unknown step speed"), e.getMessage());
    }
}
