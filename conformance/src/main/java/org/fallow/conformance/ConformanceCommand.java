package org.fallow.conformance;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code ./fallow conformance [--socket PATH --run-dir DIR]}: runs the wire-protocol conformance suite against the
 * hypervisor listening on {@code PATH} (any implementation of docs/PROTOCOL.md), or, without {@code --socket}, against
 * Fallow's own hypervisor started in a child JVM with a temporary run dir. Exit code 0 when every case passed.
 */
@Command(name = "conformance", mixinStandardHelpOptions = true,
        description = "Run the wire-protocol conformance suite (docs/PROTOCOL.md §7) and print 'N passed, N failed'.")
public final class ConformanceCommand implements Callable<Integer> {
    @Option(names = "--socket", paramLabel = "PATH",
            description = "Socket of the implementation under test (default: $FALLOW_CONFORMANCE_SOCKET, else start Fallow's hypervisor).")
    Path socket;

    @Option(names = "--run-dir", paramLabel = "DIR",
            description = "Its run directory with dom<D>.mem/.p2m (default: $FALLOW_CONFORMANCE_RUN_DIR, else HELLO_ACK's run_dir).")
    Path runDir;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() throws Exception {
        Target t;
        var parsed = spec.commandLine().getParseResult();
        // ./fallow hands its global --socket/--run-dir defaults to subcommands; only the user's own count here
        if (parsed != null && parsed.hasMatchedOption("--socket"))
            t = Target.of(socket, parsed.hasMatchedOption("--run-dir") ? runDir : null);
        else {
            if (System.getenv(Target.SOCKET_KEY) == null && System.getProperty(Target.SOCKET_KEY) == null)
                System.out.println("conformance: starting Fallow's hypervisor (no --socket given) ...");
            t = Target.resolve();
        }
        System.out.println("conformance: target " + t);
        try (RawConnection probe = RawConnection.open(t.socket())) {
            // reachable
        } catch (java.io.IOException e) {
            System.err.println("conformance: cannot connect to " + t.socket() + ": " + e.getMessage());
            return 2;
        }
        ConformanceRunner.Result r = ConformanceRunner.run(t, System.out);
        System.out.println(r.summary());
        return r.failed() == 0 && r.passed() > 0 ? 0 : 1;
    }
}
