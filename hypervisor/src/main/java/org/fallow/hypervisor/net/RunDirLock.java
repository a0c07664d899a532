package org.fallow.hypervisor.net;

import org.fallow.abi.fs.PidFile;
import org.fallow.abi.fs.SafeFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One hypervisor per run directory (docs/SECURITY.md): {@code hypervisor.pid} (0600) holds this hypervisor's pid and
 * an exclusive lock for as long as it runs; the kernel drops the lock when the process dies, however it dies. Whoever
 * takes the lock knows that every {@code dom<D>.*} file, arena and stale pid file in the directory was left by a dead
 * hypervisor or its dead clients, and {@link #removeStale removes} them: only regular files of this user, found by
 * name directly in the run directory, never through a link.
 */
public final class RunDirLock implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RunDirLock.class);
    public static final String PID_FILE = "hypervisor.pid";

    /** dom&lt;D&gt;.mem, .p2m, .vmring (and StandalonePagingMemory's copies): a dead hypervisor's guest memory. */
    private static final Pattern DOM_FILE = Pattern.compile("dom\\d+\\.(mem|p2m|vmring)");
    /** Client arenas (libxc-shim xc-PID-N.arena, the C client's c-arena-PID, conformance arena-N). */
    private static final Pattern ARENA = Pattern.compile("(?:xc-(\\d+)-\\d+\\.arena|c-arena-(\\d+)|arena-\\d+)");
    /** Pid files of background pagers ({@code fallow paging start}). */
    private static final Pattern PAGER_PID = Pattern.compile("xenpaging-(\\d+)\\.pid");
    /** Left-over temporaries of SafeFiles.writeAtomically. */
    private static final Pattern TEMP = Pattern.compile("\\..+\\.tmp-[0-9a-f]+");

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private RunDirLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the run directory {@code runDir} (which must already be private): an IOException names the pid of the
     * hypervisor that holds it.
     */
    public static RunDirLock acquire(Path runDir) throws IOException {
        Path f = runDir.resolve(PID_FILE);
        FileChannel ch = SafeFiles.openOrCreate(f, false);
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null;
        }
        if (l == null) {
            String holder = "another process";
            try {
                ByteBuffer b = ByteBuffer.allocate(32);
                ch.read(b, 0);
                String s = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).strip();
                if (!s.isEmpty()) holder = "pid " + s;
            } catch (IOException ignored) {
                // the message without the pid
            } finally {
                ch.close();
            }
            throw new IOException("another hypervisor (" + holder + ") is using run directory " + runDir
                    + "; stop it or choose another --run-dir");
        }
        ch.truncate(0);
        ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        ch.force(false);
        return new RunDirLock(f, ch, l);
    }

    /**
     * Removes what a dead hypervisor and its dead clients left in {@code runDir}: dom&lt;D&gt; memory/p2m/ring files,
     * arenas whose creating process is gone, pager pid files that no longer name a live pager, stale temporaries.
     * Only regular files of this user, directly in {@code runDir}; links and anything else are left alone (and
     * logged). Call only while holding the lock. Returns the names removed.
     */
    public static List<String> removeStale(Path runDir) throws IOException {
        List<String> removed = new ArrayList<>();
        int scanned = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(runDir)) {
            for (Path p : ds) {
                if (++scanned > 100_000) {
                    log.warn("run directory {} has more than 100000 entries; stale-file cleanup stopped there", runDir);
                    break;
                }
                String name = p.getFileName().toString();
                if (!stale(runDir, name)) continue;
                if (SafeFiles.deleteIfOwnedRegular(p)) removed.add(name);
                else log.warn("left {} alone: not a regular file of this user", p);
            }
        }
        if (!removed.isEmpty())
            log.info("removed {} file(s) a dead hypervisor left in {}: {}", removed.size(), runDir,
                    removed.size() <= 12 ? removed : removed.subList(0, 12) + "…");
        return removed;
    }

    private static boolean stale(Path runDir, String name) throws IOException {
        if (DOM_FILE.matcher(name).matches() || TEMP.matcher(name).matches()) return true;
        Matcher a = ARENA.matcher(name);
        if (a.matches()) {
            String pid = a.group(1) != null ? a.group(1) : a.group(2);
            return pid == null || ProcessHandle.of(Long.parseLong(pid)).map(ph -> !ph.isAlive()).orElse(true);
        }
        Matcher m = PAGER_PID.matcher(name);
        if (m.matches()) return PidFile.live(runDir.resolve(name), List.of("xenpaging", "-d", m.group(1)), false).isEmpty();
        return false;
    }

    public Path file() { return file; }

    /**
     * Empties the pid file and releases the lock. The file itself stays: removing it before the unlock would let two
     * successors lock two different files.
     */
    @Override public void close() {
        try {
            channel.truncate(0);
            lock.release();
            channel.close();
        } catch (IOException e) {
            log.warn("could not release {}: {}", file, e.toString());
        }
    }
}
