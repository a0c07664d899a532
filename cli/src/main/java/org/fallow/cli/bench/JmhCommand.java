package org.fallow.cli.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code fallow bench jmh [JMH args]}: the JMH micro-benchmarks of {@code org.fallow.cli.bench.jmh} (tmem engine
 * put/get per page class, FrontRing/BackRing produce/consume, frame codec encode/decode), run by JMH's own runner
 * (what {@code org.openjdk.jmh.Main} does) with this process's class path; forks inherit its JVM options. Every JMH
 * option is accepted ({@code -h} for JMH's help, {@code -l} to list, a regex to select); the quick defaults
 * {@value #QUICK_TEXT} apply to each of those options not given, and forks log at warn (unless
 * {@code -jvmArgsAppend} is given). Each benchmark's floor ({@link JmhFloors}: a bare memcpy of what it moves) runs in
 * the same JMH run, added when a regex leaves it out, and every score is then printed as a ratio to its floor's.
 */
@Command(name = "jmh", description = {"JMH micro-benchmarks (JMH's own options; -h for JMH's help, -l to list).",
        "Quick defaults unless given: " + JmhCommand.QUICK_TEXT})
public final class JmhCommand implements Callable<Integer> {
    static final String QUICK_TEXT = "-f 1 -wi 2 -i 3 -w 1s -r 1s";
    private static final List<String[]> QUICK = List.of(new String[] {"-f", "1"}, new String[] {"-wi", "2"},
            new String[] {"-i", "3"}, new String[] {"-w", "1s"}, new String[] {"-r", "1s"});

    @Unmatched
    List<String> jmhArgs = new ArrayList<>();

    PrintStream out = System.out;

    /** The user's JMH arguments with the quick defaults for the options they did not give. */
    static List<String> withDefaults(List<String> given) {
        List<String> args = new ArrayList<>();
        for (String[] d : QUICK) {
            if (!given.contains(d[0])) {
                args.add(d[0]);
                args.add(d[1]);
            }
        }
        if (!given.contains("-jvmArgsAppend")) { // forks inherit this JVM's options, not the level quietLogs() set
            args.add("-jvmArgsAppend");
            args.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=" + System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
        }
        args.addAll(given);
        return args;
    }

    @Override public Integer call() {
        List<String> args = withDefaults(jmhArgs);
        try {
            CommandLineOptions opts = new CommandLineOptions(args.toArray(String[]::new));
            List<String> floors = JmhFloors.floorIncludes(opts.getIncludes());
            ChainedOptionsBuilder withFloors = new OptionsBuilder().parent(opts);
            for (String f : floors) withFloors.include(f);
            Runner runner = new Runner(opts.shouldList() || opts.shouldHelp() ? opts : withFloors.build());
            if (opts.shouldHelp()) {
                opts.showHelp();
            } else if (opts.shouldList()) {
                runner.list();
            } else if (opts.shouldListWithParams()) {
                runner.listWithParams(opts);
            } else if (opts.shouldListProfilers()) {
                opts.listProfilers();
            } else if (opts.shouldListResultFormats()) {
                opts.listResultFormats();
            } else {
                out.println("fallow bench jmh: JMH arguments " + String.join(" ", args)
                        + (floors.isEmpty() ? "" : "; floors added: " + String.join(" ", floors)));
                String loadBefore = org.fallow.abi.bench.PageCopyFloor.load();
                Collection<RunResult> results = runner.run();
                List<JmhFloors.Score> scores = results.stream().map(JmhFloors.Score::of)
                        .sorted(java.util.Comparator.comparing(JmhFloors.Score::benchmark).thenComparing(JmhFloors.Score::paramText)).toList();
                JmhFloors.print(out, scores, loadBefore, org.fallow.abi.bench.PageCopyFloor.load());
            }
            return 0;
        } catch (CommandLineOptionException | RunnerException | java.io.IOException e) {
            System.err.println("fallow bench jmh: " + e.getMessage());
            return 1;
        }
    }
}
