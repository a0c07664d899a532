package org.fallow.conformance;

import org.fallow.abi.fs.SafeFiles;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The implementation under test: a socket path and, optionally, the run directory where it creates
 * {@code dom<D>.mem}/{@code dom<D>.p2m} (when unset, the run_dir announced in HELLO_ACK is used).
 * <p>
 * Resolution order: {@link #use} (the runner), then system property / environment variable
 * {@code FALLOW_CONFORMANCE_SOCKET} (+ {@code FALLOW_CONFORMANCE_RUN_DIR}), else Fallow's own hypervisor is started
 * in a child JVM (org.fallow.abi.process.HypervisorProcess, found on the class path) in a fresh temporary run dir
 * and stopped when the JVM exits or the runner finishes.
 */
public final class Target {
    public static final String SOCKET_KEY = "FALLOW_CONFORMANCE_SOCKET";
    public static final String RUN_DIR_KEY = "FALLOW_CONFORMANCE_RUN_DIR";
    private static final String SPAWNER = "org.fallow.abi.process.HypervisorProcess";

    private static Target current;

    private final Path socket;
    private final Path runDir;
    private Path scratch;
    private final AutoCloseable owned;

    private Target(Path socket, Path runDir, AutoCloseable owned) {
        this.socket = socket;
        this.runDir = runDir;
        this.owned = owned;
    }

    public Path socket() { return socket; }

    /** The run dir given explicitly (or of the spawned hypervisor), or null: then use HELLO_ACK's run_dir. */
    public Path runDir() { return runDir; }

    /**
     * Where this suite's arena files go: the target's run directory (PROTOCOL §3.1: a hypervisor maps arenas only from
     * there), i.e. the run dir given, else the run_dir a toolstack HELLO without an arena is told in its HELLO_ACK.
     * Arena files are removed when closed.
     */
    public synchronized Path scratch() {
        if (scratch == null) scratch = runDir != null ? runDir : announcedRunDir();
        return scratch;
    }

    private Path announcedRunDir() {
        try (RawConnection c = RawConnection.open(socket)) {
            c.send(Wire.HELLO, 1, Wire.hello(Wire.ROLE_TOOLSTACK, Wire.PROFILE_412, 0, null, 0, 0, null));
            RawFrame ack = c.read();
            if (ack.type() != Wire.HELLO_ACK || ack.status() != 0) throw new IOException("toolstack HELLO refused: " + ack);
            return Path.of(ack.helloAck().runDir());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot learn the target's run directory from " + socket, e);
        }
    }

    public boolean spawned() { return owned != null; }

    /** An explicit target (also used by the runner for the command-line options). */
    public static Target of(Path socket, Path runDir) throws IOException { return new Target(socket, runDir, null); }

    /** Makes {@code t} the target of every case until {@link #release}. */
    public static synchronized void use(Target t) { current = t; }

    /** The target for the cases; resolves (and possibly spawns) it on first use. */
    public static synchronized Target current() {
        if (current == null) {
            try {
                current = resolve();
            } catch (IOException e) {
                throw new IllegalStateException("no conformance target: " + e.getMessage(), e);
            }
            Target t = current;
            if (t.spawned()) Runtime.getRuntime().addShutdownHook(new Thread(t::stop, "conformance-target-stop"));
        }
        return current;
    }

    /** Stops a spawned target and forgets the current one. */
    public static synchronized void release() {
        if (current != null) current.stop();
        current = null;
    }

    private static String setting(String key) {
        String v = System.getProperty(key);
        if (v == null || v.isBlank()) v = System.getenv(key);
        return v == null || v.isBlank() ? null : v;
    }

    static Target resolve() throws IOException {
        String socket = setting(SOCKET_KEY);
        String runDir = setting(RUN_DIR_KEY);
        if (socket != null) return of(Path.of(socket), runDir == null ? null : Path.of(runDir));
        return spawn();
    }

    /** Starts Fallow's hypervisor (the default target) through HypervisorProcess, looked up on the class path. */
    public static Target spawn() throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "flr");
        try {
            Class<?> hp = Class.forName(SPAWNER);
            Method start = hp.getMethod("start", Path.class, String[].class);
            AutoCloseable proc = (AutoCloseable) start.invoke(null, dir, new String[] {"--host-mem", "256"});
            Path sock = (Path) hp.getMethod("socket").invoke(proc);
            return new Target(sock, dir, proc);
        } catch (ClassNotFoundException e) {
            throw new IOException("set " + SOCKET_KEY + " (or --socket): " + SPAWNER + " is not on the class path to start Fallow's hypervisor");
        } catch (ReflectiveOperationException e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            throw new IOException("could not start Fallow's hypervisor: " + c, c);
        }
    }

    private void stop() {
        if (owned != null) {
            try {
                owned.close();
            } catch (Exception e) {
                System.err.println("conformance: stopping the hypervisor failed: " + e);
            }
            deleteTree(runDir);
        }
    }

    private static void deleteTree(Path dir) {
        try {
            SafeFiles.deleteTree(dir);
        } catch (IOException e) {
            System.err.println("conformance: could not remove " + dir + ": " + e);
        }
    }

    @Override public String toString() { return socket + (spawned() ? " (spawned Fallow hypervisor)" : ""); }
}
