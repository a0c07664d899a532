package org.fallow.cli.demo;

import org.fallow.abi.fs.SafeFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A PoD guest without a balloon driver dirties more pages than its PoD cache: the hypervisor crashes the domain, the
 * guest process exits 3, and the demo records it, destroys the domain and carries on with the other guest.
 */
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang guard: the guests end by their work
class DemoGuestCrashTest {
    private Path runDir;

    @AfterEach
    void cleanUp() {
        if (runDir != null) SafeFiles.deleteTreeQuietly(runDir);
    }

    @Test
    void aCrashedDomainIsReportedAndTheRunGoesOn(@TempDir Path out) throws Exception {
        Properties p = new Properties();
        p.setProperty("host.mib", "64");
        p.setProperty("work", "1");
        p.setProperty("sample.ms", "200");
        p.setProperty("guests", "noballoon,plain");
        p.setProperty("guest.noballoon.role", "pod");
        p.setProperty("guest.noballoon.memory.mib", "8");
        p.setProperty("guest.noballoon.maxmem.mib", "24");
        p.setProperty("guest.noballoon.workload", "anon-grow");
        p.setProperty("guest.noballoon.ops", "100000");
        p.setProperty("guest.noballoon.args", "--no-balloon");
        p.setProperty("guest.plain.role", "plain");
        p.setProperty("guest.plain.memory.mib", "8");
        p.setProperty("guest.plain.workload", "zipf-files");
        p.setProperty("guest.plain.ops", "100000");
        runDir = Files.createTempDirectory(Path.of("/tmp"), "fl");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        DemoRunner.Result r = new DemoRunner(Scenario.from(p), out, runDir, XcDemoToolstack::open, new PrintStream(console, true)).run();
        String text = console.toString();

        assertNotNull(r.failure(), text);
        assertTrue(r.failure().contains("noballoon: exited 3 (its domain died under it") && r.failure().contains(
                out.toAbsolutePath().resolve("logs/noballoon.log").toString()), "names the guest, why and its log: " + r.failure());
        assertFalse(r.failure().contains("plain"), r.failure());
        assertTrue(r.report().contains("Result: FAILED: " + r.failure()), "the report says what the exit status says:\n" + r.report());
        assertEquals(3, r.guestExitCodes().get("noballoon"), "the guest saw its domain die:\n" + text);
        assertEquals(0, r.guestExitCodes().get("plain"), text);
        assertFalse(r.succeeded());
        int crashed = r.series().domids().stream().filter(d -> r.series().name(d).equals("noballoon")).findFirst().orElseThrow();
        assertTrue(r.series().samples().stream().map(h -> h.domain(crashed)).filter(d -> d != null)
                .anyMatch(d -> d.state().contains("c")), "the hypervisor reported the domain crashed (getdomaininfo)");
        assertTrue(r.report().lines().anyMatch(l -> l.matches("\\s*\\d+\\s+noballoon\\s.*crashed")), r.report());
        assertTrue(text.contains("noballoon FAILED (exit 3)"), text);
        assertTrue(r.series().samples().getLast().domains().isEmpty(), "both domains destroyed");
    }
}
