package org.fallow.abi.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A pid file that is checked before it is obeyed (docs/SECURITY.md). It records the pid, the process's start time
 * and the words its command line must contain (e.g. {@code xenpaging -d 3}); {@link #live} returns the process only
 * when all of these still match, so a stale file whose pid was reused by another process is never signalled.
 * Format (text, 0600, written atomically): line 1 the pid, line 2 {@code start <epoch millis>}, line 3
 * {@code cmd <word> <word>…}.
 */
public final class PidFile {
    private static final long START_SLACK_MS = 1000; // /proc start times are in clock ticks; allow rounding

    private PidFile() {}

    /** Writes {@code file} for {@code p}, whose command line contains {@code cmdWords} (in this order). */
    public static void write(Path file, ProcessHandle p, List<String> cmdWords) throws IOException {
        for (String w : cmdWords)
            if (w.isEmpty() || w.chars().anyMatch(Character::isWhitespace)) throw new IllegalArgumentException("pid file word '" + w + "'");
        long start = p.info().startInstant().map(Instant::toEpochMilli).orElse(-1L);
        SafeFiles.writeAtomically(file, p.pid() + "\nstart " + start + "\ncmd " + String.join(" ", cmdWords) + "\n");
    }

    /** What a pid file says. */
    public record Entry(long pid, long startMillis, List<String> cmdWords) {}

    /** Reads {@code file} (a link or a file of another user is refused); empty if there is none or it is garbage. */
    public static Optional<Entry> read(Path file) throws IOException {
        List<String> lines;
        try {
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) return Optional.empty();
            SafeFiles.checkRegularOwned(file, SafeFiles.uid());
            if (Files.size(file) > 4096) return Optional.empty();
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            long pid = Long.parseLong(lines.get(0).strip());
            long start = -1;
            List<String> words = List.of();
            for (String l : lines.subList(1, lines.size())) {
                if (l.startsWith("start ")) start = Long.parseLong(l.substring(6).strip());
                else if (l.startsWith("cmd ")) words = List.of(l.substring(4).strip().split("\\s+"));
            }
            return pid > 0 ? Optional.of(new Entry(pid, start, words)) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * The live process {@code file} names, if it is still the one that was recorded: alive, started at the recorded
     * time and with {@code expectedWords} (and the recorded words) in order in its command line. Otherwise empty;
     * with {@code removeStale} a stale file is then deleted (only a regular file of this user).
     */
    public static Optional<ProcessHandle> live(Path file, List<String> expectedWords, boolean removeStale) throws IOException {
        Optional<Entry> e = read(file);
        Optional<ProcessHandle> p = e.flatMap(en -> ProcessHandle.of(en.pid()).filter(ph -> matches(ph, en, expectedWords)));
        if (p.isEmpty() && removeStale) SafeFiles.deleteIfOwnedRegular(file);
        return p;
    }

    /** Why {@link #live} would refuse {@code file}, in words (for error messages); null if it is live. */
    public static String whyStale(Path file, List<String> expectedWords) throws IOException {
        Optional<Entry> e = read(file);
        if (e.isEmpty()) return "no usable pid file " + file;
        Optional<ProcessHandle> ph = ProcessHandle.of(e.get().pid());
        if (ph.isEmpty() || !ph.get().isAlive()) return "pid " + e.get().pid() + " of " + file + " is not running";
        if (!matches(ph.get(), e.get(), expectedWords))
            return "pid " + e.get().pid() + " of " + file + " is another process now (" + ph.get().info().command().orElse("?") + ")";
        return null;
    }

    static boolean matches(ProcessHandle ph, Entry en, List<String> expectedWords) {
        if (!ph.isAlive()) return false;
        if (en.startMillis() >= 0) {
            Optional<Instant> started = ph.info().startInstant();
            if (started.isEmpty() || Math.abs(started.get().toEpochMilli() - en.startMillis()) > START_SLACK_MS) return false;
        }
        List<String> cmd = commandLine(ph);
        return containsInOrder(cmd, en.cmdWords()) && containsInOrder(cmd, expectedWords);
    }

    /** The process's argv (from /proc/PID/cmdline; empty if unreadable). */
    public static List<String> commandLine(ProcessHandle ph) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(ph.pid()), "cmdline"));
            String s = new String(raw, StandardCharsets.UTF_8);
            if (s.endsWith("\0")) s = s.substring(0, s.length() - 1);
            return s.isEmpty() ? List.of() : List.of(s.split("\0", -1));
        } catch (IOException e) {
            return ph.info().arguments().map(List::of).orElse(List.of());
        }
    }

    /** True when {@code words} occur in {@code argv} in this order (each as a whole argument). */
    static boolean containsInOrder(List<String> argv, List<String> words) {
        int i = 0;
        for (String w : words) {
            while (i < argv.size() && !argv.get(i).equals(w)) i++;
            if (i == argv.size()) return false;
            i++;
        }
        return true;
    }
}
