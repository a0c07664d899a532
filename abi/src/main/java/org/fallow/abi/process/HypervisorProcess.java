package org.fallow.abi.process;

import org.fallow.abi.fs.SafeFiles;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code org.fallow.hypervisor.HypervisorMain} in a child JVM (same java, same class path) for end-to-end tests,
 * benchmarks and the demo. The child's output goes to {@code <runDir>/hypervisor.log}. {@link #close()} sends
 * SIGTERM (clean shutdown: the hypervisor removes its socket) and waits.
 * <p>
 * The hypervisor module must be on the class path at run time (a test-scope dependency in modules whose tests use
 * this; the cli ships it). Started through {@link ChildJvm}.
 */
public final class HypervisorProcess implements AutoCloseable {
    public static final String MAIN_CLASS = "org.fallow.hypervisor.HypervisorMain";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final Path runDir;
    private final Path socket;
    private final Path log;

    private HypervisorProcess(Process process, Path runDir, Path socket, Path log) {
        this.process = process;
        this.runDir = runDir;
        this.socket = socket;
        this.log = log;
    }

    /** JVM options for test hypervisors: quick start-up and a small footprint on a shared machine. */
    public static final List<String> TEST_JVM_OPTS = ChildJvm.SMALL;

    /** Starts a hypervisor with run dir {@code runDir} (socket {@code runDir/hypervisor.sock}) and waits for its socket. */
    public static HypervisorProcess start(Path runDir, String... extraArgs) throws IOException {
        return start(runDir, TEST_JVM_OPTS, extraArgs);
    }

    /**
     * Starts a hypervisor in a fresh run directory {@code /tmp/<prefix>…} (short: a socket path must fit in 107 bytes);
     * {@link #deleteRunDir()} removes it again.
     */
    public static HypervisorProcess startInTempDir(String prefix, String... extraArgs) throws IOException {
        return start(Files.createTempDirectory(Path.of("/tmp"), prefix), extraArgs);
    }

    /** As {@link #start(Path, String...)} with explicit JVM options for the child. */
    public static HypervisorProcess start(Path runDir, List<String> jvmOpts, String... extraArgs) throws IOException {
        // a new run dir is made private here; an existing one is judged by the hypervisor itself (docs/SECURITY.md)
        if (!Files.exists(runDir)) runDir = org.fallow.abi.fs.SafeFiles.ensurePrivateDir(runDir);
        Path socket = runDir.resolve(org.fallow.abi.wire.RunDirectory.SOCKET_NAME);
        Path log = runDir.resolve("hypervisor.log");
        List<String> args = new ArrayList<>(List.of("--run-dir", runDir.toString(), "--socket", socket.toString()));
        args.addAll(List.of(extraArgs));
        Process p = ChildJvm.builder(jvmOpts, MAIN_CLASS, args).redirectErrorStream(true)
                .redirectOutput(org.fallow.abi.fs.SafeFiles.truncateRedirect(log)).start();
        HypervisorProcess hp = new HypervisorProcess(p, runDir, socket, log);
        try {
            hp.awaitSocket();
        } catch (IOException | RuntimeException e) {
            hp.close();
            throw e;
        }
        return hp;
    }

    private void awaitSocket() throws IOException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) throw new IOException("hypervisor exited with " + process.exitValue() + ":\n" + logText());
            if (Files.exists(socket)) {
                try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    probe.connect(UnixDomainSocketAddress.of(socket));
                    return;
                } catch (IOException notYet) {
                    // bound but not yet accepting, or stale: retry
                }
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for the hypervisor");
            }
        }
        throw new IOException("hypervisor socket " + socket + " did not appear within " + START_TIMEOUT + ":\n" + logText());
    }

    public Path socket() { return socket; }

    public Path runDir() { return runDir; }

    public Path logFile() { return log; }

    public long pid() { return process.pid(); }

    public boolean isAlive() { return process.isAlive(); }

    /** The child's output so far. */
    public String logText() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** SIGTERM, wait up to 15 s, then SIGKILL. Returns the exit code (or -1 if killed). */
    public int stop() {
        if (!process.isAlive()) return process.exitValue();
        process.destroy();
        try {
            if (process.waitFor(15, TimeUnit.SECONDS)) return process.exitValue();
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        return -1;
    }

    /** Stops the hypervisor if it still runs, then deletes its run directory and everything in it. */
    public void deleteRunDir() throws IOException {
        stop();
        SafeFiles.deleteTree(runDir);
    }

    @Override public void close() { stop(); }
}
