package org.fallow.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code fallow bench ...}: benchmarks (never tests; each prints its parameters and a table). The drivers live in
 * the module that owns the code they measure; add yours to {@code subcommands}. Figures: docs/BENCHMARKS.md.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks (print figures; assert nothing).",
        subcommands = {
                org.fallow.xc.tools.RttBench.class,
                org.fallow.xc.tools.AttackBench.class,
                org.fallow.hypervisor.tmem.bench.TmemBench.class,
                org.fallow.xc.bench.TmemSocketBench.class,
                org.fallow.cli.bench.CompressionBench.class,
                org.fallow.xc.bench.RingBench.class,
                org.fallow.cli.bench.PagingBench.class,
                org.fallow.cli.bench.PodBench.class,
                org.fallow.cli.bench.CreateBench.class,
                org.fallow.cli.bench.JmhCommand.class,
                org.fallow.cli.bench.StartupBench.class,
                org.fallow.cli.bench.GoalsBench.class,
        })
public final class BenchCommand implements Runnable {
    /**
     * Benchmarks print tables on stdout; the subsystems' INFO lines (pool created, ...) would drown them on stderr.
     * Sets slf4j-simple's default level to warn unless the user chose one ({@code FALLOW_JVM_OPTS=-Dorg.slf4j...}).
     * Takes effect when no logger exists yet (the bench commands run before any is created).
     */
    static void quietLogs() {
        String key = "org.slf4j.simpleLogger.defaultLogLevel";
        if (System.getProperty(key) == null) System.setProperty(key, "warn");
    }

    @Override public void run() {
        new CommandLine(this).usage(System.out);
    }
}
