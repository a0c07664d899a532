package org.fallow.cli.bench;

import org.fallow.abi.fs.SafeFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts a class of this class path in a child JVM (same java binary), its stderr to {@code <dir>/<name>.err}. */
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
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("--sun-misc-unsafe-memory-access=allow");
        cmd.addAll(jvmOpts);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(SafeFiles.truncateRedirect(dir.resolve(name + ".err")));
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

    static void deleteTree(Path dir) {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a temp directory
        }
    }
}
