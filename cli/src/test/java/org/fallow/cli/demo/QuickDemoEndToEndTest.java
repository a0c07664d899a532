package org.fallow.cli.demo;

import org.fallow.abi.fs.SafeFiles;
import org.fallow.cli.FallowMain;
import org.fallow.cli.stats.DomainSample;
import org.fallow.cli.stats.HostSample;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code ./fallow demo --quick} end to end, as CI runs it: the embedded scenario with --quick's options, a hypervisor,
 * five guests and a xenpaging as child processes. The run must succeed (every guest finished its work) and its report
 * must show every mechanism from the hypervisor's figures, with the host never exceeded. Nothing here is timed: the
 * guests end by the work they do; the timeout only guards against a hang.
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class QuickDemoEndToEndTest {
    private Path runDir;

    @AfterEach
    void cleanUp() {
        if (runDir != null) SafeFiles.deleteTreeQuietly(runDir);
    }

    @Test
    void theQuickDemoShowsEveryMechanismAndExitsCleanly(@TempDir Path out) throws Exception {
        picocli.CommandLine cl = FallowMain.commandLine();
        cl.parseArgs("demo", "--quick");
        Scenario s = ((DemoCommand) cl.getSubcommands().get("demo").getCommand()).scenario();
        runDir = Files.createTempDirectory(Path.of("/tmp"), "fallow-demo-test-");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        DemoRunner.Result r = new DemoRunner(s, out, runDir, XcDemoToolstack::open, new PrintStream(console, true)).run();
        String text = console.toString();

        assertNull(r.failure(), text);
        assertTrue(r.succeeded(), text);
        for (Scenario.Guest g : s.guests()) assertEquals(0, r.guestExitCodes().get(g.name()), g.name() + "\n" + text);
        // the report says what the exit status says, mechanism by mechanism
        assertEquals(5, r.checks().size(), r.report());
        for (DemoChecks.Check c : r.checks()) assertTrue(c.seen(), c + "\n" + r.report());
        for (String m : new String[]{"PoD boot", "paging (xenpaging)", "cleancache hits", "frontswap", "host never exceeded"})
            assertTrue(r.report().lines().anyMatch(l -> l.matches("\\s+yes\\s+" + java.util.regex.Pattern.quote(m) + "\\s.*")), m + "\n" + r.report());
        assertTrue(r.report().contains("Result: success"), r.report());
        assertEquals(r.report(), Files.readString(r.reportFile()));
        assertTrue(r.report().lines().filter(l -> l.matches("\\s*\\d+\\s+\\S+\\s.*\\s(done|stopped|crashed|exit \\d+|domain died)$"))
                .allMatch(l -> l.endsWith(" done")), r.report());
        // and from the samples themselves: the host never held more than it has, the guests were promised more
        boolean overcommitted = false;
        for (HostSample h : r.series().samples()) {
            assertTrue(h.domainPages() <= h.totalPages(), "domains within the host: " + h);
            overcommitted |= h.guestVisiblePages() > h.totalPages();
            for (DomainSample d : h.domains()) assertTrue(d.totPages() <= d.maxPages(), "within max_pages: " + d);
        }
        assertTrue(overcommitted || s.configuredMiB() > s.hostMiB(), "the scenario over-commits the host");
        assertTrue(text.contains("fallow demo: done; every guest finished its work and every mechanism was seen"), text);
        assertTrue(Files.size(r.png()) > 0 && Files.size(r.svg()) > 0);
        assertTrue(r.series().samples().getLast().domains().isEmpty(), "every domain destroyed at the end");
    }
}
