package org.fallow.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code fallow bench ...}: benchmarks (never tests). Add yours to {@code subcommands}. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks (print figures; assert nothing).",
        subcommands = {
                org.fallow.xc.tools.RttBench.class,
                TmemBenchCommand.class,
        })
public final class BenchCommand implements Runnable {
    @Override public void run() {
        new CommandLine(this).usage(System.out);
    }
}
