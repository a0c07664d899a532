package org.fallow.cli.top;

import org.fallow.abi.fs.SafeFiles;
import org.fallow.cli.FallowMain;
import org.fallow.cli.RunContext;
import org.fallow.cli.stats.DomainSample;
import org.fallow.cli.stats.HostSample;
import org.fallow.cli.stats.ToolstackStats;
import org.fallow.abi.process.HypervisorProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** {@code top} against a real hypervisor process with two domains created by {@code ./fallow create}. */
@Timeout(180)
class TopCommandTest {
    static Path dir;
    static HypervisorProcess hv;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "fl");
        hv = HypervisorProcess.start(dir, "--host-mem", "64");
        assertEquals("0", run("--run-dir", dir.toString(), "create", "--memory", "8", "--maxmem", "16", "--name", "podder").code);
        assertEquals("0", run("--run-dir", dir.toString(), "create", "--memory", "4", "--name", "plain").code);
    }

    @AfterAll
    static void stop() {
        if (hv != null) hv.close();
        if (dir != null) SafeFiles.deleteTreeQuietly(dir);
    }

    record Out(String code, String text) { }

    static synchronized Out run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        try {
            int rc = FallowMain.commandLine().execute(args);
            return new Out(Integer.toString(rc), buf.toString());
        } finally {
            System.setOut(old);
        }
    }

    @Test
    void samplesAreTheHypervisorsAccountsAndAddUp() throws Exception {
        try (ToolstackStats s = ToolstackStats.open(RunContext.resolve(dir, null, Map.of()))) {
            HostSample h = s.sample();
            assertEquals(64 * 256, h.totalPages());
            assertEquals(2, h.domains().size());
            DomainSample pod = h.domains().get(0), plain = h.domains().get(1);
            assertEquals("podder", s.name(pod.domid()));
            // maxmem 16 MiB + libxl's 1 MiB slack; PoD: entries cover maxmem - populated, tot = populated + cache
            assertEquals(17 * 256, pod.maxPages());
            assertTrue(pod.podEntries() > 0 && pod.podCache() > 0, pod.toString());
            assertTrue(pod.totPages() <= 8 * 256, "a PoD domain holds no more than its target: " + pod);
            assertEquals(0, plain.podEntries());
            assertEquals(0, h.tmemEphPages(), "no tmem client yet");
            assertEquals(-1, pod.tmemEphPages(), "no tmem client: not reported");
            assertEquals(h.totalPages() - h.domainPages(), h.freePages(), "host = free + domains when tmem is empty");
        }
    }

    @Test
    void onceAndJsonPrintOneSample() {
        Out table = run("--run-dir", dir.toString(), "top", "--once");
        assertEquals("0", table.code, table.text);
        assertTrue(table.text.startsWith("fallow top "), table.text);
        assertTrue(table.text.contains("host 64.0 MiB"), table.text);
        assertTrue(table.text.lines().anyMatch(l -> l.trim().matches("\\d+\\s+podder\\s+r.*")), table.text);
        Out json = run("--run-dir", dir.toString(), "top", "--once", "--json");
        assertEquals("0", json.code);
        assertEquals(1, json.text.strip().lines().count());
        assertTrue(json.text.startsWith("{\"time_ms\":") && json.text.contains("\"host_total_pages\":16384"), json.text);
        Out two = run("--run-dir", dir.toString(), "top", "-n", "2", "-d", "50", "--json");
        assertEquals(2, two.text.strip().lines().count());
    }

    /** Runs a command that must fail for want of a hypervisor at {@code runDir}, and checks its one-line error. */
    private void failsWithNoHypervisorAt(Path runDir, String... command) throws Exception {
        String[] args = new String[command.length + 2];
        args[0] = "--run-dir";
        args[1] = runDir.toString();
        System.arraycopy(command, 0, args, 2, command.length);
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true));
        Out o;
        try {
            o = run(args);
        } finally {
            System.setErr(oldErr);
        }
        assertEquals("1", o.code);
        assertTrue(err.toString().contains("no hypervisor is running at " + runDir.resolve("hypervisor.sock")), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
    }

    @Test
    void withoutARunDirectoryListSaysNoHypervisorIsRunning() throws Exception {
        Path parent = Files.createTempDirectory(Path.of("/tmp"), "fl");
        Path missing = parent.resolve("never-made");
        try {
            failsWithNoHypervisorAt(missing, "list");
            assertTrue(Files.notExists(missing), "nothing made for it");
        } finally {
            SafeFiles.deleteTreeQuietly(parent);
        }
    }

    @Test
    void withoutAHypervisorItFailsWithOneLine() throws Exception {
        Path empty = Files.createTempDirectory(Path.of("/tmp"), "fl");
        try {
            failsWithNoHypervisorAt(empty, "top", "--once");
        } finally {
            SafeFiles.deleteTreeQuietly(empty);
        }
    }
}
