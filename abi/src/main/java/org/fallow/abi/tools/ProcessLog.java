package org.fallow.abi.tools;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * Where a long-running Fallow process (hypervisor, guest) logs. {@code ./fallow} publishes the user's verbosity as the
 * system property {@value #VERBOSITY} (0 without {@code -v}); a daemon started without {@code -v} sends its log to
 * {@code <run-dir>/logs/<name>.log} (directory 0700, file 0600, opened without following symlinks: SafeFiles) and keeps the
 * terminal quiet; with {@code -v} (or when not started by {@code ./fallow}, e.g. by a test) it logs to stderr.
 */
public final class ProcessLog {
    /** The user's verbosity: 0 (default, quiet), 1 ({@code -v}: INFO on stderr), 2+ ({@code -vv}: DEBUG). */
    public static final String VERBOSITY = "fallow.verbosity";

    private ProcessLog() { }

    /** The published verbosity, or -1 when the process was not started by {@code ./fallow}. */
    public static int verbosity() {
        String v = System.getProperty(VERBOSITY);
        if (v == null) return -1;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    /**
     * Unless the user asked for {@code -v}, redirects this process's stderr (where slf4j-simple writes) to
     * {@code <runDir>/logs/<name>.log}. Returns the log file, or null when the log stays on stderr.
     */
    public static Path toRunDir(Path runDir, String name) throws IOException {
        if (verbosity() != 0) return null;
        Path dir = org.fallow.abi.fs.SafeFiles.ensurePrivateDir(runDir.resolve("logs"));
        Path file = dir.resolve(name + ".log");
        OutputStream out = org.fallow.abi.fs.SafeFiles.appendStream(file);
        System.setErr(new PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
        return file;
    }
}
