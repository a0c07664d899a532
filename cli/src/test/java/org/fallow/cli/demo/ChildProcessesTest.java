package org.fallow.cli.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

@Timeout(120)
class ChildProcessesTest {
    @Test
    void runsFallowInAChildJvmAndCapturesItsOutput(@TempDir Path dir) throws Exception {
        try (ChildProcesses cp = new ChildProcesses(dir.resolve("logs"), Map.of("FALLOW_RUN_DIR", dir.toString()), List.of("-Xmx64m"))) {
            ChildProcesses.Child c = cp.start("version", List.of(), List.of("--version"));
            assertTrue(c.process().waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, c.process().exitValue(), () -> ChildProcesses.tail(c, 20));
            assertEquals("fallow 0.1.0", Files.readString(dir.resolve("logs/version.log")).strip());
        }
    }

    @Test
    void closeStopsChildrenThatAreStillRunningNewestFirst(@TempDir Path dir) throws Exception {
        ChildProcesses.Child a, b;
        try (ChildProcesses cp = new ChildProcesses(dir.resolve("logs"), Map.of(), List.of())) {
            a = cp.startCommand("a", List.of("sleep", "600"));
            b = cp.startCommand("b", List.of("sh", "-c", "echo up; exec sleep 600"));
            assertTrue(a.alive() && b.alive());
            assertEquals(List.of(a, b), cp.children());
            // b must have started (printed its line) before it is stopped, or there is nothing to check in its log
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!(Files.exists(b.log()) && Files.readString(b.log()).contains("up")) && System.nanoTime() < deadline)
                Thread.sleep(10);
        }
        assertFalse(a.alive());
        assertFalse(b.alive());
        assertEquals(143, a.process().exitValue(), "SIGTERM first (128+15), not SIGKILL");
        assertEquals("up", Files.readString(b.log()).strip());
    }

    @Test
    void theChildCommandIsThisJvmRunningFallowMain(@TempDir Path dir) throws Exception {
        try (ChildProcesses cp = new ChildProcesses(dir, Map.of(), List.of("-Xmx64m"))) {
            List<String> cmd = cp.command(List.of("-Dx=1"), List.of("top", "--once"));
            assertEquals(org.fallow.abi.process.ChildJvm.javaBinary(), cmd.getFirst());
            int main = cmd.indexOf("org.fallow.cli.FallowMain");
            assertEquals(List.of("top", "--once"), cmd.subList(main + 1, cmd.size()));
            assertTrue(cmd.indexOf("-Xmx64m") < cmd.indexOf("-Dx=1") && cmd.indexOf("-Dx=1") < cmd.indexOf("-cp"));
            assertEquals(System.getProperty("java.class.path"), cmd.get(cmd.indexOf("-cp") + 1));
        }
    }
}
