package org.fallow.abi.tools;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Quiet by default (issue 10: the README's session flooded the terminal): a daemon started by ./fallow without -v
 * logs to a 0600 file in a 0700 {@code <run-dir>/logs}; with -v, or when ./fallow did not start it, to stderr.
 */
class ProcessLogTest {
    private final PrintStream err = System.err;
    private final String verbosity = System.getProperty(ProcessLog.VERBOSITY);

    @AfterEach
    void restore() {
        System.setErr(err);
        if (verbosity == null) System.clearProperty(ProcessLog.VERBOSITY);
        else System.setProperty(ProcessLog.VERBOSITY, verbosity);
    }

    @Test
    void quietDaemonsLogToAPrivateFileInTheRunDir(@TempDir Path dir) throws Exception {
        System.setProperty(ProcessLog.VERBOSITY, "0");
        Path run = dir.resolve("run");
        Path log = ProcessLog.toRunDir(run, "hypervisor");
        assertEquals(run.resolve("logs/hypervisor.log").toAbsolutePath(), log.toAbsolutePath());
        System.err.println("a line for the file");
        System.err.flush();
        System.setErr(err);
        assertEquals("a line for the file\n", Files.readString(log));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(log)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(log.getParent())));
    }

    @Test
    void verboseOrNotStartedByFallowKeepsStderr(@TempDir Path dir) throws Exception {
        System.setProperty(ProcessLog.VERBOSITY, "1");
        assertNull(ProcessLog.toRunDir(dir, "hypervisor"));
        System.clearProperty(ProcessLog.VERBOSITY);
        assertNull(ProcessLog.toRunDir(dir, "hypervisor"));
        assertSame(err, System.err);
        assertFalse(Files.exists(dir.resolve("logs")));
    }
}
