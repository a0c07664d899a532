package org.fallow.cli.bench;

import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.RunResult;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The floors of {@code bench jmh}: each project benchmark's floor is another benchmark of the same JMH run (a bare
 * memcpy of what the benchmarked operation moves), and after the run every score is printed as a ratio to its floor's.
 * Tmem engine put/get: {@code PageCopyFloorBenchmark} put/get (one 4 KiB copy, the copies of abi's PageCopyFloor);
 * ring produce/consume: {@code RingBenchmark.memcpyFloor} of the same batch (four 376-byte slot copies per event);
 * frame codec: {@code FrameCodecBenchmark.memcpyFloor} (the 72-byte frame copied into a new byte[]).
 */
final class JmhFloors {
    private static final String PKG = "org.fallow.cli.bench.jmh.";

    /** Benchmark (Class.method) to its floor (Class.method). */
    static final Map<String, String> FLOOR_OF = Map.ofEntries(
            Map.entry("TmemEngineBenchmark.put", "PageCopyFloorBenchmark.put"),
            Map.entry("TmemEngineBenchmark.get", "PageCopyFloorBenchmark.get"),
            Map.entry("RingBenchmark.produceConsume", "RingBenchmark.memcpyFloor"),
            Map.entry("FrameCodecBenchmark.clientEncode", "FrameCodecBenchmark.memcpyFloor"),
            Map.entry("FrameCodecBenchmark.clientDecodeHeader", "FrameCodecBenchmark.memcpyFloor"),
            Map.entry("FrameCodecBenchmark.nettyEncode", "FrameCodecBenchmark.memcpyFloor"),
            Map.entry("FrameCodecBenchmark.nettyDecode", "FrameCodecBenchmark.memcpyFloor"));

    private JmhFloors() {}

    /** Include regexes for the floors of the benchmarks the user's include regexes select (JMH uses find()). */
    static List<String> floorIncludes(List<String> includes) {
        Set<String> out = new LinkedHashSet<>();
        for (String inc : includes) {
            Pattern p = Pattern.compile(inc);
            new TreeMap<>(FLOOR_OF).forEach((bench, floor) -> {
                if (p.matcher(PKG + bench).find()) out.add("^" + Pattern.quote(PKG + floor) + "$");
            });
        }
        return List.copyOf(out);
    }

    /** One score: Class.method, its parameters, score (its mode's unit). */
    record Score(String benchmark, Map<String, String> params, Mode mode, double score) {
        static Score of(RunResult r) {
            String full = r.getParams().getBenchmark();
            String name = full.startsWith(PKG) ? full.substring(PKG.length()) : full;
            Map<String, String> params = new TreeMap<>();
            for (String k : r.getParams().getParamsKeys()) params.put(k, r.getParams().getParam(k));
            return new Score(name, params, r.getParams().getMode(), r.getPrimaryResult().getScore());
        }

        String paramText() {
            if (params.isEmpty()) return "-";
            List<String> kv = new ArrayList<>();
            params.forEach((k, v) -> kv.add(k + "=" + v));
            return String.join(" ", kv);
        }
    }

    /** The floor score of {@code s} in {@code all}: its floor benchmark, same mode, every parameter the floor has equal. */
    static Score floorOf(Score s, Collection<Score> all) {
        String floor = FLOOR_OF.get(s.benchmark());
        if (floor == null) return null;
        for (Score f : all) {
            if (!f.benchmark().equals(floor) || f.mode() != s.mode()) continue;
            boolean same = true;
            for (var e : f.params().entrySet()) same &= e.getValue().equals(s.params().get(e.getKey()));
            if (same) return f;
        }
        return null;
    }

    static boolean isFloor(String benchmark) { return FLOOR_OF.containsValue(benchmark); }

    /** How many times the floor's cost per operation {@code s} takes (for throughput the floor's ops/s / s's). */
    static double costRatio(Score s, Score floor) {
        return s.mode() == Mode.Throughput ? floor.score() / s.score() : s.score() / floor.score();
    }

    /** Prints every score beside its floor's and the cost ratio; floors are the 1.00 rows. */
    static void print(PrintStream out, List<Score> scores, String loadBefore, String loadAfter) {
        out.printf(Locale.ROOT, "%nx floor: how many times its floor's cost one operation takes (the floor's score / the benchmark's, for "
                + "throughput); floors ran in this JMH run; load at the start %s, at the end %s%n", loadBefore, loadAfter);
        out.printf(Locale.ROOT, "%-40s %-26s %16s %-32s %8s%n", "benchmark", "params", "score", "floor", "x floor");
        for (Score s : scores) {
            String floorName, ratio;
            if (isFloor(s.benchmark())) {
                floorName = "(floor)";
                ratio = "1.00";
            } else {
                Score f = floorOf(s, scores);
                floorName = f == null ? "-" : f.benchmark();
                ratio = f == null ? "-" : String.format(Locale.ROOT, "%.2f", costRatio(s, f));
            }
            out.printf(Locale.ROOT, "%-40s %-26s %16.0f %-32s %8s%n", s.benchmark(), s.paramText(), s.score(), floorName, ratio);
        }
    }
}
