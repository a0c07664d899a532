package org.fallow.hypervisor.net;

import org.fallow.hypervisor.core.GuestFault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class ArenaAddressSpaceTest {
    @TempDir Path dir;

    @Test
    void handlesAreBoundsChecked() throws Exception {
        Path f = dir.resolve("a");
        Files.write(f, new byte[8192]);
        long base = 0x7f00_0000_0000L;
        try (ArenaAddressSpace a = ArenaAddressSpace.map(dir, f, base, 8192)) {
            a.map(base, 8192).set(ValueLayout.JAVA_BYTE, 8191, (byte) 9);
            assertEquals(9, Files.readAllBytes(f)[8191], "writes land in the shared file");
            assertEquals(1, a.map(base + 8191, 1).byteSize());
            assertEquals(0, a.map(base + 8192, 0).byteSize(), "an empty range at the end is in bounds");
            for (long[] bad : new long[][]{{base + 8192, 1}, {base - 1, 1}, {0, 0}, {base, -1}, {base + 8, Long.MAX_VALUE}, {-1, 1}})
                assertThrows(GuestFault.class, () -> a.map(bad[0], bad[1]), "handle 0x" + Long.toHexString(bad[0]) + " len " + bad[1]);
        }
    }

    @Test
    void badAnnouncementsAreRefused() throws Exception {
        Path f = dir.resolve("b");
        Files.write(f, new byte[4096]);
        assertThrows(IllegalArgumentException.class, () -> ArenaAddressSpace.map(dir, f, 0, 4096));
        assertThrows(IllegalArgumentException.class, () -> ArenaAddressSpace.map(dir, f, 0x1001, 4096));
        assertThrows(IllegalArgumentException.class, () -> ArenaAddressSpace.map(dir, f, 0x1000, 100));
        assertThrows(IllegalArgumentException.class, () -> ArenaAddressSpace.map(dir, f, 0x1000, 8192), "file too short");
        assertThrows(IllegalArgumentException.class, () -> ArenaAddressSpace.map(dir, f, -4096, 8192), "wraps");
        assertThrows(IllegalArgumentException.class, () -> ArenaAddressSpace.map(dir, dir, 0x1000, 4096), "a directory");
    }

    @Test
    void onlyRegularFilesOfTheHypervisorsUserDirectlyInTheRunDirAreMapped() throws Exception {
        Path run = Files.createDirectory(dir.resolve("run"));
        Path outside = Files.write(dir.resolve("outside"), new byte[4096]);
        Path inside = Files.write(run.resolve("xc-1-1.arena"), new byte[4096]);
        try (ArenaAddressSpace a = ArenaAddressSpace.map(run, inside, 0x1000, 4096)) {
            assertEquals(4096, a.size());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ArenaAddressSpace.map(run, outside, 0x1000, 4096));
        assertTrue(e.getMessage().contains("not inside the run directory"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ArenaAddressSpace.map(run, run.resolve("../outside"), 0x1000, 4096), "dot-dot");
        Path link = Files.createSymbolicLink(run.resolve("evil.arena"), outside);
        e = assertThrows(IllegalArgumentException.class, () -> ArenaAddressSpace.map(run, link, 0x1000, 4096));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ArenaAddressSpace.map(run, run.resolve("missing"), 0x1000, 4096));
        if (org.fallow.abi.fs.SafeFiles.isRoot()) {
            Path others = Files.write(run.resolve("others.arena"), new byte[4096]);
            Files.setAttribute(others, "unix:uid", 65534);
            e = assertThrows(IllegalArgumentException.class, () -> ArenaAddressSpace.map(run, others, 0x1000, 4096));
            assertTrue(e.getMessage().contains("owned by uid 65534"), e.getMessage());
        }
    }
}
