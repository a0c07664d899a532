package org.fallow.abi.fs;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PidFileTest {
    private Path tmp;
    private Process sleeper;

    @BeforeEach void setUp() throws IOException {
        tmp = SafeFiles.ensurePrivateDir(Files.createTempDirectory(Path.of("/tmp"), "fpid"));
        sleeper = new ProcessBuilder("sleep", "300").start();
    }

    @AfterEach void tearDown() throws Exception {
        sleeper.destroyForcibly().waitFor();
        SafeFiles.deleteTree(tmp);
    }

    @Test void aMatchingLiveProcessIsFound() throws IOException {
        Path pf = tmp.resolve("sleeper.pid");
        PidFile.write(pf, sleeper.toHandle(), List.of("sleep", "300"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(pf, LinkOption.NOFOLLOW_LINKS)));
        Optional<ProcessHandle> p = PidFile.live(pf, List.of("300"), true);
        assertEquals(sleeper.pid(), p.orElseThrow().pid());
        assertNull(PidFile.whyStale(pf, List.of("300")));
    }

    @Test void aPidThatNowBelongsToAnotherProgramIsNotObeyedAndTheFileGoes() throws IOException {
        // what a stale xenpaging-7.pid looks like once its pid has been reused by an unrelated process
        Path pf = tmp.resolve("xenpaging-7.pid");
        Files.writeString(pf, sleeper.pid() + "\n");
        assertTrue(PidFile.whyStale(pf, List.of("xenpaging", "-d", "7")).contains("another process"));
        assertEquals(Optional.empty(), PidFile.live(pf, List.of("xenpaging", "-d", "7"), true));
        assertFalse(Files.exists(pf), "a stale pid file is removed");
        assertTrue(sleeper.isAlive());
    }

    @Test void aRecordedStartTimeThatDiffersMeansAnotherProcess() throws IOException {
        Path pf = tmp.resolve("x.pid");
        long start = sleeper.toHandle().info().startInstant().orElseThrow().toEpochMilli();
        Files.writeString(pf, sleeper.pid() + "\nstart " + (start - 3_600_000) + "\ncmd sleep\n");
        assertEquals(Optional.empty(), PidFile.live(pf, List.of(), false));
        assertTrue(Files.exists(pf), "kept when not asked to remove");
    }

    @Test void aDeadPidIsStale() throws Exception {
        Path pf = tmp.resolve("x.pid");
        PidFile.write(pf, sleeper.toHandle(), List.of("sleep"));
        sleeper.destroyForcibly().waitFor();
        assertNotNull(PidFile.whyStale(pf, List.of()));
        assertEquals(Optional.empty(), PidFile.live(pf, List.of(), true));
        assertFalse(Files.exists(pf));
    }

    @Test void aLinkedPidFileIsRefused() throws IOException {
        Path real = tmp.resolve("real.pid");
        PidFile.write(real, sleeper.toHandle(), List.of("sleep"));
        Path link = Files.createSymbolicLink(tmp.resolve("link.pid"), real);
        org.junit.jupiter.api.Assertions.assertThrows(UnsafePathException.class, () -> PidFile.live(link, List.of(), true));
        assertTrue(Files.exists(real));
    }

    @Test void wordsMustAppearInOrder() {
        assertTrue(PidFile.containsInOrder(List.of("java", "x", "xenpaging", "-d", "3"), List.of("xenpaging", "-d", "3")));
        assertFalse(PidFile.containsInOrder(List.of("java", "xenpaging", "-d", "31"), List.of("xenpaging", "-d", "3")));
        assertFalse(PidFile.containsInOrder(List.of("-d", "3", "xenpaging"), List.of("xenpaging", "-d", "3")));
    }
}
