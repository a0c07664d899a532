package org.fallow.cli.bench;

import org.fallow.abi.process.SearchPath;
import org.fallow.abi.bench.PageCopyFloor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * {@code fallow bench goals}: issue 16's "Done when" in one run on this machine. Runs each bench once, in order, each
 * through the launcher in a process of its own (so {@code bench startup} and the hypervisors start as a user's would),
 * prints its output whole with its command, the time and the load, then one line per goal: the figure read back from
 * that output ({@link GoalFigures}), the limit and whether this run met it. The issue does not say in which view the
 * compression CPU is counted; both are given and the last lines say whether every goal was met under each.
 */
@Command(name = "goals", mixinStandardHelpOptions = true,
        description = "Issue 16's 'Done when' in one run: each bench once (own process, output whole), then each goal's figure, limit and verdict.")
public final class GoalsBench implements java.util.concurrent.Callable<Integer> {
    /** One bench run: its name for {@code --only}, the launcher arguments, pinned to one CPU or not, and the goals it yields. */
    record Step(String name, List<String> args, boolean pinned, Function<String, List<GoalFigures.Goal>> goals) {}

    static final List<Step> STEPS = List.of(
            new Step("rtt", List.of("bench", "rtt"), false, out -> List.of(GoalFigures.rtt(out, false), GoalFigures.rtt(out, true))),
            new Step("tmem-socket", List.of("bench", "tmem-socket", "--stored", "1048576", "--batches", "64"), false,
                    out -> List.of(GoalFigures.tmemSocket(out, "tmem put+get over the socket, batch 64, 1 M stored"))),
            new Step("tmem-socket-pinned", List.of("bench", "tmem-socket", "--stored", "1048576", "--batches", "64"), true,
                    out -> List.of(GoalFigures.tmemSocket(out, "(info) tmem put+get over the socket, all on one CPU"))),
            new Step("metadata", List.of("bench", "tmem", "--corpus-pages", "0"), false, out -> List.of(GoalFigures.metadata(out))),
            new Step("compression", List.of("bench", "compression"), false, GoalFigures::compression),
            new Step("create", List.of("bench", "create"), false, out -> List.of(GoalFigures.create(out))),
            new Step("startup", List.of("bench", "startup", "-n", "10"), false, out -> List.of(GoalFigures.startup(out))),
            new Step("paging", List.of("bench", "paging"), false, GoalFigures::paging));

    @Option(names = "--only", split = ",", paramLabel = "STEP",
            description = "Run only these steps: rtt, tmem-socket, tmem-socket-pinned, metadata, compression, create, startup, paging (default: all).")
    List<String> only;

    @Option(names = "--step-timeout-minutes", defaultValue = "60",
            description = "A step still running after this long is stopped and its goals have no figure (default ${DEFAULT-VALUE}).")
    int stepTimeoutMinutes;

    /** A step's output kept for reading its figures (all of it is printed); beyond this the rest is printed only. */
    static final int MAX_KEPT_CHARS = 4 << 20;

    PrintStream out = System.out;

    /** The steps {@code --only} names, in the run's order; an unknown name is refused. */
    static List<Step> selected(List<String> only) {
        if (only == null || only.isEmpty()) return STEPS;
        for (String n : only)
            if (STEPS.stream().noneMatch(s -> s.name().equals(n)))
                throw new IllegalArgumentException("unknown step " + n + "; the steps: " + String.join(", ", STEPS.stream().map(Step::name).toList()));
        return STEPS.stream().filter(s -> only.contains(s.name())).toList();
    }

    @Override public Integer call() throws Exception {
        List<Step> steps = selected(only);
        if (stepTimeoutMinutes < 1) throw new IllegalArgumentException("--step-timeout-minutes must be >= 1");
        Path launcher = LauncherPath.get();
        out.printf(Locale.ROOT, "issue 16 goals: %d step(s) (%s), each through %s in its own process; load %s%n",
                steps.size(), String.join(", ", steps.stream().map(Step::name).toList()), launcher, PageCopyFloor.load());
        List<GoalFigures.Goal> goals = new ArrayList<>();
        boolean allRan = true;
        for (Step s : steps) {
            List<String> cmd = new ArrayList<>();
            if (s.pinned()) {
                String cpu = firstAllowedCpu();
                if (cpu == null || !SearchPath.onPath("taskset")) {
                    out.printf("step %s skipped: taskset or this process's CPU list is not available%n%n", s.name());
                    for (GoalFigures.Goal g : s.goals().apply("")) goals.add(GoalFigures.Goal.missing(g.name(), g.limit(), "step skipped"));
                    continue;
                }
                cmd.addAll(List.of("taskset", "-c", cpu));
            }
            cmd.add(launcher.toString());
            cmd.addAll(s.args());
            Run r;
            try {
                r = run(cmd);
            } catch (IOException e) {
                out.printf("step %s could not start: %s%n%n", s.name(), e.getMessage());
                for (GoalFigures.Goal g : s.goals().apply("")) goals.add(GoalFigures.Goal.missing(g.name(), g.limit(), "step did not start"));
                allRan = false;
                continue;
            }
            allRan &= r.exit() == 0;
            goals.addAll(s.goals().apply(r.output()));
        }
        out.println("== issue 16: Done when, this run");
        out.print(GoalFigures.table(goals));
        String which = steps.size() == STEPS.size() ? "every goal" : "every goal of the steps run (not all: --only)";
        out.printf("%s met in this run, compression counted in the socket view: %s%n", which, yesNo(GoalFigures.allMet(goals, "socket")));
        out.printf("%s met in this run, compression counted in the engine view: %s%n", which, yesNo(GoalFigures.allMet(goals, "engine")));
        out.printf(Locale.ROOT, "load at the end %s%n", PageCopyFloor.load());
        return allRan ? 0 : 1;
    }

    record Run(int exit, String output) {}

    /** Runs {@code cmd}, its output printed as it comes and kept (up to {@link #MAX_KEPT_CHARS}). */
    Run run(List<String> cmd) throws IOException, InterruptedException {
        out.printf(Locale.ROOT, "$ %s   # %s UTC, load average: %s%n", String.join(" ", cmd),
                LocalTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("HH:mm")), PageCopyFloor.load());
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        CompletableFuture<Void> watchdog = CompletableFuture.runAsync(() -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }, CompletableFuture.delayedExecutor(stepTimeoutMinutes, TimeUnit.MINUTES));
        StringBuilder kept = new StringBuilder();
        char last = '\n';
        try (Reader in = new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)) {
            char[] buf = new char[8192]; // read in chunks, not lines: a line without an end is not held whole
            for (int n; (n = in.read(buf)) > 0; ) {
                out.append(java.nio.CharBuffer.wrap(buf, 0, n));
                last = buf[n - 1];
                int room = MAX_KEPT_CHARS - kept.length();
                if (room > 0) kept.append(buf, 0, Math.min(n, room));
            }
        }
        if (last != '\n') out.println();
        out.flush();
        int exit = p.waitFor();
        watchdog.cancel(false);
        out.printf(Locale.ROOT, "exit %d after %d s%n%n", exit, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0));
        return new Run(exit, kept.toString());
    }

    private static String yesNo(boolean b) { return b ? "yes" : "no"; }

    /** The first CPU this process may run on ({@code Cpus_allowed_list} of /proc/self/status), or null. */
    static String firstAllowedCpu() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith("Cpus_allowed_list:")) {
                    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)").matcher(line);
                    return m.find() ? m.group(1) : null;
                }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }
}
