package org.fallow.abi.tools;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Where a long-running Fallow process (hypervisor, guest) logs. {@code ./fallow} publishes the user's verbosity as the
 * system property {@value #VERBOSITY} (0 without {@code -v}); a daemon started without {@code -v} sends its log to
 * {@code <run-dir>/logs/<name>.log} (directory 0700, file 0600, opened without following symlinks) and keeps the
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
        if (!Files.exists(runDir, LinkOption.NOFOLLOW_LINKS))
            Files.createDirectories(runDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path dir = runDir.resolve("logs");
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) throw new IOException(dir + " is not a directory");
            }
        }
        Path file = dir.resolve(name + ".log");
        OutputStream out = java.nio.channels.Channels.newOutputStream(Files.newByteChannel(file, Set.of(StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))));
        System.setErr(new PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
        return file;
    }
}
