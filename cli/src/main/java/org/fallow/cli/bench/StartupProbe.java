package org.fallow.cli.bench;

import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code fallow startup-probe none|jdk|jnr} (hidden): the floors of {@link StartupBench}, run by the launcher exactly
 * as a short command ({@code list}) is, with its flags and AOT cache: {@code none} starts, parses its command line
 * and exits; {@code jdk} also connects to the hypervisor's socket and closes with the JDK's own Unix-socket channel;
 * {@code jnr} does the same with JNR-unixsocket, the client library. The differences between them and {@code list}
 * apportion a short command's start-up.
 */
@Command(name = "startup-probe", hidden = true, description = "Start-up floors for bench startup: none, jdk or jnr connect.")
public final class StartupProbe implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "none|jdk|jnr") String how;

    @Option(names = "--socket", description = "hypervisor socket (default: <run-dir>/hypervisor.sock)") Path socket;

    @Override public Integer call() throws IOException {
        switch (how) {
            case "none" -> { }
            case "jdk" -> {
                try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                    if (!c.isConnected()) return 1;
                }
            }
            case "jnr" -> {
                try (UnixSocketChannel c = UnixSocketChannel.open(new UnixSocketAddress(socket.toFile()))) {
                    if (!c.isConnected()) return 1;
                }
            }
            default -> throw new IllegalArgumentException("say none, jdk or jnr, not " + how);
        }
        return 0;
    }
}
