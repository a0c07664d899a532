package org.fallow.cli.bench;

import org.fallow.xc.transport.ClientChannel;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code fallow startup-probe none|jdk|jnr} (hidden): the floors of {@link StartupBench}, run by the launcher exactly
 * as a short command ({@code list}) is, with its flags and AOT cache: {@code none} starts, parses its command line
 * and exits; {@code jdk} also connects to the hypervisor's socket and closes, with the JDK's own Unix-socket channel
 * as short commands do ({@link ClientChannel.Jdk}); {@code jnr} does the same with JNR-unixsocket, the long-lived
 * clients' channel (outside the AOT cache's training, which runs {@code list}: what a short command would pay for
 * it). The differences between them and {@code list} apportion a short command's start-up. Built through picocli's programmatic API ({@link #spec}) as {@code list} is, so
 * that the floors read no annotation either; its values stay in the model (no field bindings, whose lambdas the AOT
 * cache, trained on {@code list}, would not hold).
 */
public final class StartupProbe implements Callable<Integer> {
    private CommandSpec spec;

    /** The command's parameters and usage text (what {@code @Command}/{@code @Option} annotations would say). */
    public static CommandSpec spec(StartupProbe probe) {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(probe).name("startup-probe");
        spec.usageMessage().hidden(true).description("Start-up floors for bench startup: none, jdk or jnr connect.");
        spec.addPositional(PositionalParamSpec.builder().index("0").arity("1").required(true).paramLabel("none|jdk|jnr")
                .type(String.class).build());
        spec.addOption(OptionSpec.builder("--socket").paramLabel("<socket>").type(Path.class)
                .description("hypervisor socket (default: <run-dir>/hypervisor.sock)").build());
        probe.spec = spec;
        return spec;
    }

    @Override public Integer call() throws IOException {
        String how = spec.positionalParameters().getFirst().getValue();
        Path socket = spec.findOption("--socket").getValue();
        switch (how) {
            case "none" -> { }
            case "jdk", "jnr" -> ClientChannel.connect(socket, how.equals("jdk")).close();
            default -> throw new IllegalArgumentException("say none, jdk or jnr, not " + how);
        }
        return 0;
    }
}
