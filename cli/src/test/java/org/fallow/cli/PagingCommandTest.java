package org.fallow.cli;

import org.fallow.abi.fs.SafeFiles;
import org.fallow.cli.stats.DomainSample;
import org.fallow.cli.stats.ToolstackStats;
import org.fallow.abi.process.HypervisorProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** {@code paging start|stop} and {@code mem-swap-target} against a hypervisor process and a real xenpaging process. */
@Timeout(240)
class PagingCommandTest {
    private Path dir;
    private HypervisorProcess hv;

    @AfterEach
    void cleanUp() throws Exception {
        if (dir != null) {
            Path pid = dir.resolve("xenpaging-1.pid");
            if (Files.exists(pid)) ProcessHandle.of(Long.parseLong(Files.readAllLines(pid).get(0).strip())).ifPresent(ProcessHandle::destroyForcibly);
        }
        if (hv != null) hv.close();
        if (dir != null) SafeFiles.deleteTreeQuietly(dir);
    }

    private record Out(int code, String text) { }

    private static synchronized Out run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        try {
            return new Out(FallowMain.commandLine().execute(args), buf.toString());
        } finally {
            System.setOut(old);
        }
    }

    private DomainSample dom(ToolstackStats s, int domid) throws Exception {
        return s.sample().domain(domid);
    }

    @Test
    void startPagesTheDomainToItsTargetAndStopPagesEverythingBackIn() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "fl");
        hv = HypervisorProcess.start(dir, "--host-mem", "64");
        String rd = dir.toString();
        Out created = run("--run-dir", rd, "create", "--memory", "8", "--name", "pg");
        assertEquals(0, created.code, created.text);
        Matcher m = Pattern.compile("domid (\\d+)").matcher(created.text);
        assertTrue(m.find(), created.text);
        int domid = Integer.parseInt(m.group(1));
        assertEquals(1, domid, "the pid file name below assumes the first domain");

        try (ToolstackStats stats = ToolstackStats.open(RunContext.resolve(dir, null, Map.of()))) {
            long before = dom(stats, domid).totPages();
            Out start = run("--run-dir", rd, "paging", "start", Integer.toString(domid), "--actmem", "2");
            assertEquals(0, start.code, start.text + Files.readString(dir.resolve("xenpaging-1.log")));
            assertTrue(start.text.contains("xenpaging for dom1 started"), start.text);
            assertTrue(start.text.contains("paging target 2 MB"), "mem-swap-target ran: " + start.text);
            assertEquals(1, run("--run-dir", rd, "paging", "start", "1").code, "a second pager for the same domain is refused");

            DomainSample d = dom(stats, domid);
            while (d.totPages() > 2 * 256) {                      // xenpaging works towards its target
                Thread.sleep(100);
                d = dom(stats, domid);
            }
            assertEquals(2 * 256, d.totPages(), "resident = actmem exactly");
            assertEquals(before - 2 * 256, d.pagedPages(), "the rest is paged out: " + d);

            Out stop = run("--run-dir", rd, "paging", "stop", "1");
            assertEquals(0, stop.code, stop.text);
            DomainSample after = dom(stats, domid);
            assertEquals(0, after.pagedPages(), "SIGTERM pages everything back in before xenpaging exits");
            assertEquals(before, after.totPages());
            assertFalse(Files.exists(dir.resolve("xenpaging-1.pid")));
            assertEquals(1, run("--run-dir", rd, "paging", "stop", "1").code, "nothing to stop");
        }
    }
}
