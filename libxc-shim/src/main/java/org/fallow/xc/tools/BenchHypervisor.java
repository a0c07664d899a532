package org.fallow.xc.tools;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.fallow.abi.fs.SafeFiles;
import org.fallow.abi.process.HypervisorProcess;

/**
 * The hypervisor a benchmark measures (bench rtt, bench attack): the running one at {@code --connect}'s socket, or one
 * started in a child JVM under a fresh private scratch directory; closing stops the child and deletes the directory.
 */
final class BenchHypervisor implements AutoCloseable {
    private final Path scratch;
    private final HypervisorProcess child;
    private final Path socket;

    private BenchHypervisor(Path scratch, HypervisorProcess child, Path socket) {
        this.scratch = scratch;
        this.child = child;
        this.socket = socket;
    }

    /** {@code socket} if given, else a hypervisor started in a child JVM; {@code prefix} names the scratch directory. */
    static BenchHypervisor connectOrStart(Path socket, String prefix) throws IOException {
        Path scratch = org.fallow.abi.fs.MemoryFileStore.createScratchDir(prefix, 2048L << 20); // the hypervisor's default --host-mem
        if (socket != null) return new BenchHypervisor(scratch, null, socket);
        try {
            HypervisorProcess child = HypervisorProcess.start(scratch.resolve("hv"), List.of("-Xmx512m"));
            System.out.printf("started hypervisor pid %d on %s%n", child.pid(), child.socket());
            return new BenchHypervisor(scratch, child, child.socket());
        } catch (IOException | RuntimeException e) {
            SafeFiles.deleteTreeQuietly(scratch);
            throw e;
        }
    }

    Path socket() { return socket; }

    /** A private directory for the benchmark's own files (arenas, echo sockets). */
    Path scratch() { return scratch; }

    /** The hypervisor's run directory: the child's, or the directory of the socket connected to. */
    Path runDir() { return child != null ? child.runDir() : socket.toAbsolutePath().getParent(); }

    /** The child's pid, or -1 when connected to a running hypervisor. */
    long pid() { return child != null ? child.pid() : -1; }

    boolean started() { return child != null; }

    @Override public void close() throws IOException {
        try {
            if (child != null) child.stop();
        } finally {
            SafeFiles.deleteTree(scratch);
        }
    }
}
