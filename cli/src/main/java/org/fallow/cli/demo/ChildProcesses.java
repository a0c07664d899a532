package org.fallow.cli.demo;

import org.fallow.abi.process.ChildJvm;
import org.fallow.abi.fs.SafeFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts Fallow roles as child JVMs (same java binary and class path as this process, {@code FallowMain <args>}),
 * captures each one's stdout+stderr in {@code <logDir>/<name>.log}, and tears them all down in reverse start order
 * on {@link #close()} or JVM shutdown (Ctrl-C): SIGTERM first, then SIGKILL after a grace period.
 */
public final class ChildProcesses implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChildProcesses.class);

    /** A started child. */
    public record Child(String name, Process process, Path log) {
        public boolean alive() { return process.isAlive(); }
        public long pid() { return process.pid(); }
    }

    private final Path logDir;
    private final Map<String, String> env;
    private final List<String> jvmOptions;
    private final List<Child> children = new ArrayList<>();
    private final Thread hook;
    private boolean closed;

    /**
     * @param env        extra environment for every child (e.g. FALLOW_RUN_DIR)
     * @param jvmOptions JVM options beyond the ones every Fallow JVM needs
     */
    public ChildProcesses(Path logDir, Map<String, String> env, List<String> jvmOptions) throws IOException {
        this.logDir = SafeFiles.ensurePrivateDir(logDir);
        this.env = Map.copyOf(env);
        this.jvmOptions = List.copyOf(jvmOptions);
        this.hook = new Thread(this::closeQuietly, "fallow-children-teardown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** The command line that runs {@code FallowMain args} in a new JVM like this one. */
    public List<String> command(List<String> extraJvm, List<String> args) {
        List<String> jvm = new ArrayList<>(jvmOptions);
        jvm.addAll(extraJvm);
        return fallowCommand(jvm, args);
    }

    /** {@code java <the flags every Fallow JVM needs> <jvm> -cp <this class path> FallowMain <args>} ({@link ChildJvm}). */
    public static List<String> fallowCommand(List<String> jvm, List<String> args) {
        return ChildJvm.command(jvm, "org.fallow.cli.FallowMain", args);
    }

    /** Starts {@code FallowMain args} as child {@code name}; its output goes to {@code <logDir>/<name>.log}. */
    public Child start(String name, List<String> extraJvm, List<String> args) throws IOException {
        return startCommand(name, command(extraJvm, args));
    }

    /** As {@link #start(String, List, List)} with extra environment for this child only (e.g. a guest's secret). */
    public Child start(String name, List<String> extraJvm, List<String> args, Map<String, String> childEnv) throws IOException {
        return startCommand(name, command(extraJvm, args), childEnv);
    }

    /** Starts any command as child {@code name}, with the same log capture and teardown. */
    public Child startCommand(String name, List<String> cmd) throws IOException { return startCommand(name, cmd, Map.of()); }

    private synchronized Child startCommand(String name, List<String> cmd, Map<String, String> childEnv) throws IOException {
        if (closed) throw new IllegalStateException("already torn down");
        Path log = logDir.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        pb.environment().putAll(childEnv);
        pb.redirectErrorStream(true);
        pb.redirectOutput(SafeFiles.truncateRedirect(log)); // 0600, not through a link
        pb.redirectInput(ProcessBuilder.Redirect.PIPE);
        Process p = pb.start();
        Child c = new Child(name, p, log);
        children.add(c);
        LOG.debug("started {} (pid {}): {}", name, p.pid(), String.join(" ", cmd));
        return c;
    }

    public synchronized List<Child> children() { return List.copyOf(children); }

    /** Stops one child: SIGTERM, wait up to {@code graceMs}, then SIGKILL. Returns its exit code. */
    public static int stop(Child c, long graceMs) {
        Process p = c.process();
        if (p.isAlive()) {
            p.destroy();
            try {
                if (!p.waitFor(graceMs, TimeUnit.MILLISECONDS)) {
                    LOG.warn("{} (pid {}) did not stop in {} ms; killing it", c.name(), p.pid(), graceMs);
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        return p.isAlive() ? -1 : p.exitValue();
    }

    /** Stops every child still running, newest first. */
    @Override public void close() {
        closeQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // already shutting down
        }
    }

    private void closeQuietly() {
        List<Child> toStop;
        synchronized (this) {
            if (closed) return;
            closed = true;
            toStop = new ArrayList<>(children);
        }
        for (int i = toStop.size() - 1; i >= 0; i--) stop(toStop.get(i), 5000);
    }

    /** The last {@code n} lines of a child's log (for error messages). */
    public static String tail(Child c, int n) {
        try {
            List<String> lines = Files.readAllLines(c.log());
            return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
