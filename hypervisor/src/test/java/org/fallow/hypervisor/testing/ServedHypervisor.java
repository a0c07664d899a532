package org.fallow.hypervisor.testing;

import org.fallow.hypervisor.Hypervisor;
import org.fallow.hypervisor.core.HypervisorCore;
import org.fallow.hypervisor.net.HypervisorServer;
import org.fallow.hypervisor.net.ServerLimits;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A whole {@link Hypervisor} (every subsystem, as {@code HypervisorMain} runs it) served on a Unix socket in a private
 * run directory made under /tmp, for tests that talk to it over the wire; closing it closes the hypervisor and deletes
 * the directory.
 */
public final class ServedHypervisor implements AutoCloseable {
    /** The socket's name in the run directory unless the test names another. */
    public static final String SOCKET = "hv.sock";

    private final Path dir;
    private final Hypervisor hypervisor;
    private boolean hypervisorClosed;

    private ServedHypervisor(Path dir, Hypervisor hypervisor) {
        this.dir = dir;
        this.hypervisor = hypervisor;
    }

    /** A hypervisor of {@code hostMemMiB} served on {@value #SOCKET} with the default {@link ServerLimits}. */
    public static ServedHypervisor start(long hostMemMiB) throws IOException, InterruptedException {
        return start(hostMemMiB, SOCKET, ServerLimits.defaults());
    }

    /** The same with the server's {@code limits}. */
    public static ServedHypervisor start(long hostMemMiB, ServerLimits limits) throws IOException, InterruptedException {
        return start(hostMemMiB, SOCKET, limits);
    }

    /** The same on {@code socketName} in the run directory. */
    public static ServedHypervisor start(long hostMemMiB, String socketName) throws IOException, InterruptedException {
        return start(hostMemMiB, socketName, ServerLimits.defaults());
    }

    private static ServedHypervisor start(long hostMemMiB, String socketName, ServerLimits limits)
            throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "fl");
        Hypervisor hv = null;
        try {
            hv = Hypervisor.create(hostMemMiB, dir);
            return new ServedHypervisor(dir, hv.serve(dir.resolve(socketName), limits));
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (hv != null) hv.close();
            deleteTree(dir);
            throw e;
        }
    }

    public Hypervisor hypervisor() { return hypervisor; }

    public HypervisorCore core() { return hypervisor.core(); }

    public HypervisorServer server() { return hypervisor.server(); }

    /** The run directory. */
    public Path dir() { return dir; }

    public Path socket() { return hypervisor.server().socket(); }

    /** Closes the hypervisor but keeps the run directory, for checks of what closing left there. */
    public void closeHypervisor() {
        if (hypervisorClosed) return;
        hypervisorClosed = true;
        hypervisor.close();
    }

    /** Closes the hypervisor (unless {@link #closeHypervisor} did), then deletes the run directory. */
    @Override public void close() {
        closeHypervisor();
        deleteTree(dir);
    }

    private static void deleteTree(Path dir) {
        try {
            org.fallow.abi.fs.SafeFiles.deleteTree(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
