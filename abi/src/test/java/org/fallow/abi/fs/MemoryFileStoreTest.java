package org.fallow.abi.fs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where a run's guest memory files go, and what the hypervisor says about its run directory. */
class MemoryFileStoreTest {
    private static final long MIB = 1L << 20;

    /** A file system seen through fixed answers: type and usable bytes per directory (absent: not a directory). */
    private record FixedProbe(Map<Path, String> types, Map<Path, Long> usable) implements MemoryFileStore.Probe {
        @Override public String type(Path dir) { return types.get(dir); }
        @Override public long usable(Path dir) { return usable.getOrDefault(dir, 0L); }
    }

    private static FixedProbe shm(String type, long usableBytes) {
        return new FixedProbe(Map.of(MemoryFileStore.SHM, type), Map.of(MemoryFileStore.SHM, usableBytes));
    }

    @Test void aRamShmWithRoomForTheRunAndItsMarginIsChosen() {
        long run = 4096 * MIB;
        long wanted = run + run / 4 + MemoryFileStore.MARGIN_BYTES;
        assertEquals(MemoryFileStore.SHM, MemoryFileStore.scratchParent(run, shm("tmpfs", wanted)));
        assertEquals(MemoryFileStore.TMP, MemoryFileStore.scratchParent(run, shm("tmpfs", wanted - 1)));
        assertEquals(MemoryFileStore.SHM, MemoryFileStore.scratchParent(0, shm("ramfs", MemoryFileStore.MARGIN_BYTES)));
    }

    @Test void aContainersSmallShmOrADiskShmOrNoneFallsBackToTmp() {
        assertEquals(MemoryFileStore.TMP, MemoryFileStore.scratchParent(128 * MIB, shm("tmpfs", 64 * MIB))); // docker's default
        assertEquals(MemoryFileStore.TMP, MemoryFileStore.scratchParent(MIB, shm("ext4", 1L << 40)));
        assertEquals(MemoryFileStore.TMP, MemoryFileStore.scratchParent(MIB, new FixedProbe(Map.of(), Map.of())));
    }

    @Test void aRunDirectoryOnADiskIsNamedWithItsTypeAndTheRemedy() {
        Path dir = Path.of("/tmp/fallow-alice");
        List<String> w = MemoryFileStore.runDirWarnings(dir, 2048 * MIB,
                new FixedProbe(Map.of(dir, "ext4"), Map.of(dir, 80L << 30)));
        assertEquals(1, w.size(), w.toString());
        assertTrue(w.get(0).startsWith("run directory /tmp/fallow-alice is on ext4, not in memory"), w.get(0));
        assertTrue(w.get(0).contains("--run-dir /dev/shm/fallow-"), w.get(0));
    }

    @Test void aRunDirectoryWithLessSpaceThanHostMemorySaysBoth() {
        Path dir = Path.of("/dev/shm/fallow-alice");
        List<String> w = MemoryFileStore.runDirWarnings(dir, 2048 * MIB,
                new FixedProbe(Map.of(dir, "tmpfs"), Map.of(dir, 64 * MIB)));
        assertEquals(List.of("run directory /dev/shm/fallow-alice has 64 MiB free for up to 2048 MiB of guest memory"
                + " (--host-mem): a guest's write past the free space fails"), w);
    }

    @Test void aRamRunDirectoryWithRoomOrOneThatCannotBeExaminedIsQuiet() {
        Path dir = Path.of("/dev/shm/fallow-alice");
        assertEquals(List.of(), MemoryFileStore.runDirWarnings(dir, 2048 * MIB,
                new FixedProbe(Map.of(dir, "tmpfs"), Map.of(dir, 2048 * MIB))));
        assertEquals(List.of(), MemoryFileStore.runDirWarnings(dir, 2048 * MIB, new FixedProbe(Map.of(), Map.of())));
    }

    @Test void theRealFileSystemAnswersForARealDirectory(@TempDir Path tmp) throws IOException {
        // whatever this machine's /tmp is, the probe reads a type and the scratch directory is private and real
        String type = MemoryFileStore.FILE_SYSTEM.type(tmp);
        assertTrue(type != null && !type.isBlank(), "type of " + tmp + ": " + type);
        assertTrue(MemoryFileStore.FILE_SYSTEM.usable(tmp) > 0);
        Path d = MemoryFileStore.createScratchDir("flmfs", MIB);
        try {
            assertTrue(d.startsWith(MemoryFileStore.SHM) || d.startsWith(MemoryFileStore.TMP), d.toString());
            assertEquals(SafeFiles.DIR_MODE, Files.getPosixFilePermissions(d));
            boolean ram = MemoryFileStore.RAM_TYPES.contains(MemoryFileStore.FILE_SYSTEM.type(d));
            assertEquals(ram, MemoryFileStore.runDirWarnings(d, 0).isEmpty(), MemoryFileStore.runDirWarnings(d, 0).toString());
        } finally {
            Files.delete(d);
        }
    }
}
