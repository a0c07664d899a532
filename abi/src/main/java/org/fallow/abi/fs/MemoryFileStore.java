package org.fallow.abi.fs;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Where guest memory lives. A domain's frames are a file in the run directory ({@code dom<D>.mem}, PROTOCOL.md §3.2)
 * mapped shared; on a disk file system (ext4 and the like, which {@code /tmp} still is on many distributions) the
 * kernel writes every dirtied frame back to the disk within {@code vm.dirty_expire_centisecs} (30 s by default: a
 * 512 MiB guest's memory went to the disk 35 s after it was written, measured) and faults on the next write to each
 * cleaned frame; on tmpfs the file is memory, as a guest's RAM is. Two helpers:
 * <ul>
 * <li>{@link #createScratchDir}: the private directory of a run Fallow starts itself (demo, benches): on
 *     {@code /dev/shm} when that is a RAM file system with room for the run's memory, else under {@code /tmp};</li>
 * <li>{@link #runDirWarnings}: what the hypervisor tells its user at start about a run directory on a disk, or
 *     with less free space than its host memory (a guest write past the free space fails).</li>
 * </ul>
 */
public final class MemoryFileStore {
    /** File system types whose files are memory. */
    public static final Set<String> RAM_TYPES = Set.of("tmpfs", "ramfs", "hugetlbfs");
    public static final Path SHM = Path.of("/dev/shm");
    public static final Path TMP = Path.of("/tmp");
    /** Room asked of a RAM file system beyond a run's memory: a quarter more and this many bytes. */
    static final long MARGIN_BYTES = 64L << 20;

    /** What the choice needs to know about a directory (the real one reads the file system; tests give their own). */
    interface Probe {
        /** The file system type of the directory, or null if it is not a directory (a link is not followed). */
        String type(Path dir);

        /** Bytes this user may still write there. */
        long usable(Path dir);
    }

    static final Probe FILE_SYSTEM = new Probe() {
        @Override public String type(Path dir) {
            try {
                return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) ? Files.getFileStore(dir).type() : null;
            } catch (IOException e) {
                return null;
            }
        }

        @Override public long usable(Path dir) {
            try {
                FileStore s = Files.getFileStore(dir);
                return s.getUsableSpace();
            } catch (IOException e) {
                return 0;
            }
        }
    };

    private MemoryFileStore() {}

    /**
     * A new private (0700) directory {@code <parent>/<prefix>…} for a run whose guest memory files and page files
     * may hold up to {@code bytes}: the parent is {@link #scratchParent}.
     */
    public static Path createScratchDir(String prefix, long bytes) throws IOException {
        return Files.createTempDirectory(scratchParent(bytes, FILE_SYSTEM), prefix);
    }

    /** {@link #SHM} if it is a RAM file system with {@code bytes} plus a margin free, else {@link #TMP}. */
    static Path scratchParent(long bytes, Probe probe) {
        String type = probe.type(SHM);
        if (type == null || !RAM_TYPES.contains(type)) return TMP;
        long wanted = bytes + bytes / 4 + MARGIN_BYTES;
        return probe.usable(SHM) >= wanted ? SHM : TMP;
    }

    /**
     * One line per concern about {@code dir} holding up to {@code bytes} of guest memory (the hypervisor's host
     * memory): on a disk file system; less free space than that. Empty when neither applies or {@code dir} cannot be
     * examined.
     */
    public static List<String> runDirWarnings(Path dir, long bytes) { return runDirWarnings(dir, bytes, FILE_SYSTEM); }

    static List<String> runDirWarnings(Path dir, long bytes, Probe probe) {
        List<String> out = new ArrayList<>(2);
        String type = probe.type(dir);
        if (type == null) return out;
        if (!RAM_TYPES.contains(type))
            out.add("run directory " + dir + " is on " + type + ", not in memory: the kernel writes the guests' memory"
                    + " (dom<D>.mem) back to that disk; a run directory on tmpfs keeps it in RAM (e.g. --run-dir "
                    + SHM.resolve("fallow-" + System.getProperty("user.name", "user")) + ")");
        long usable = probe.usable(dir);
        if (usable < bytes)
            out.add(String.format(Locale.ROOT, "run directory %s has %d MiB free for up to %d MiB of guest memory"
                    + " (--host-mem): a guest's write past the free space fails", dir, usable >> 20, bytes >> 20));
        return out;
    }
}
