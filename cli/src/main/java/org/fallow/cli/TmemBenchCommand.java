package org.fallow.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code fallow bench tmem}: the tmem engine benchmark (put+get pages/s, metadata bytes per page) as a command. */
@Command(name = "tmem", mixinStandardHelpOptions = true,
        description = "tmem put+get pages/s in batches (engine calls and full tmem_op dispatch) and metadata bytes per stored page.")
public final class TmemBenchCommand implements Callable<Integer> {
    @Option(names = "--pages", defaultValue = "16384", description = "pages per round (default ${DEFAULT-VALUE})")
    int pages;

    @Option(names = "--batch", defaultValue = "64", description = "tmem_ops per dispatch task (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--rounds", defaultValue = "5", description = "rounds; the best is reported (default ${DEFAULT-VALUE})")
    int rounds;

    @Override public Integer call() throws Exception {
        org.fallow.hypervisor.tmem.TmemBench.main(new String[]{Integer.toString(pages), Integer.toString(batch), Integer.toString(rounds)});
        return 0;
    }
}
