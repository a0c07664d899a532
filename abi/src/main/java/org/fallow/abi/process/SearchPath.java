package org.fallow.abi.process;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether a program is on a search path ({@code $PATH} form: directories separated by {@code :}), as the tools Fallow
 * runs (gcc, apt-get, dpkg-deb, taskset, Debian's Xen tools) are looked for before they are started. Empty entries are
 * skipped.
 */
public final class SearchPath {
    /** What a process without {@code $PATH} searches (glibc's execvp default). */
    public static final String DEFAULT = "/usr/bin:/bin";

    private SearchPath() {}

    /** Whether an executable {@code tool} is in one of the directories of {@code searchPath} (null: none). */
    public static boolean contains(String searchPath, String tool) {
        if (searchPath == null) return false;
        for (String d : searchPath.split(":")) if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) return true;
        return false;
    }

    /** Whether an executable {@code tool} is on this process's {@code $PATH} ({@link #DEFAULT} when it is unset). */
    public static boolean onPath(String tool) { return contains(System.getenv().getOrDefault("PATH", DEFAULT), tool); }
}
