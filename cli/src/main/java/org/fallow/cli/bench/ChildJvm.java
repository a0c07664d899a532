package org.fallow.cli.bench;

import org.fallow.abi.fs.SafeFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Starts a class of this class path in a child JVM ({@link org.fallow.abi.process.ChildJvm}), its stderr to {@code <dir>/<name>.err}. */
final class ChildJvm {
    private ChildJvm() {}

    static Process start(Path dir, String name, List<String> jvmOpts, String mainClass, String... args) throws IOException {
        return start(dir, name, false, jvmOpts, mainClass, args);
    }

    /** As {@link #start(Path, String, List, String, String...)}; with {@code stdoutToFile} stdout goes to {@code <dir>/<name>.out}. */
    static Process start(Path dir, String name, boolean stdoutToFile, List<String> jvmOpts, String mainClass, String... args) throws IOException {
        return start(dir, name, stdoutToFile, java.util.Map.of(), jvmOpts, mainClass, args);
    }

    /** As above with extra environment for the child (e.g. {@code $FALLOW_SECRET}: secrets never go on a command line). */
    static Process start(Path dir, String name, boolean stdoutToFile, java.util.Map<String, String> env, List<String> jvmOpts,
                         String mainClass, String... args) throws IOException {
        ProcessBuilder pb = org.fallow.abi.process.ChildJvm.builder(jvmOpts, mainClass, List.of(args))
                .redirectError(SafeFiles.truncateRedirect(dir.resolve(name + ".err")));
        if (stdoutToFile) pb.redirectOutput(SafeFiles.truncateRedirect(dir.resolve(name + ".out")));
        pb.environment().putAll(env);
        return pb.start();
    }

    /** The last lines of a child's stderr, for error messages. */
    static String errTail(Path dir, String name) {
        try {
            Path p = dir.resolve(name + ".err");
            if (!Files.exists(p)) return "";
            List<String> lines = Files.readAllLines(p);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
