package org.fallow.cli;

import org.fallow.abi.fs.SafeFiles;
import org.fallow.abi.process.HypervisorProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code fallow list} as xl list (issue 10: truncated MiB, mixed units, column order, no domain argument, no -l):
 * xl's header and row format, then PoD/paged/tmem in MiB; domains by id or name, in the order given; -l JSON in KiB.
 */
class ListCommandTest {
    static Path dir;
    static HypervisorProcess hv;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "fll");
        hv = HypervisorProcess.start(dir, "--host-mem", "64");
        assertEquals(0, run("create", "--memory", "8", "--maxmem", "16", "--name", "podder").rc());
        assertEquals(0, run("create", "--memory", "4m", "--name", "plain").rc());
    }

    @AfterAll
    static void stop() {
        if (hv != null) hv.close();
        if (dir != null) SafeFiles.deleteTreeQuietly(dir);
    }

    record Out(int rc, String out, String err) { }

    static synchronized Out run(String... args) {
        String[] full = new String[args.length + 2];
        full[0] = "--run-dir";
        full[1] = dir.toString();
        System.arraycopy(args, 0, full, 2, args.length);
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        System.setOut(new PrintStream(buf, true));
        try {
            picocli.CommandLine cl = FallowMain.commandLine();
            cl.setErr(new PrintWriter(err, true));
            int rc = cl.execute(full);
            return new Out(rc, buf.toString(), err.toString());
        } finally {
            System.setOut(old);
        }
    }

    @Test
    void xlsColumnsInXlsFormatThenFallowsInMiB() {
        Out o = run("list");
        assertEquals(0, o.rc(), o.err());
        List<String> lines = o.out().lines().toList();
        assertEquals("Name                                        ID   Mem VCPUs\tState\tTime(s)     PoD   Paged    Tmem", lines.get(0));
        // xl: "%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f"; Mem is tot_pages in whole MiB (8 MiB PoD target less the
        // VGA hole: 7 as xl truncates it)
        assertTrue(lines.get(1).matches("podder +1 +7 +1 {5}r----- {2} +0\\.0 +\\d+\\.\\d +0\\.0 +0\\.0"), lines.get(1));
        assertTrue(lines.get(2).matches("plain +2 +3 +1 {5}r----- {2} +0\\.0 +0\\.0 +0\\.0 +0\\.0"), lines.get(2));
        assertEquals("podder", lines.get(1).substring(0, 40).strip(), "name column 40 wide");
        assertEquals("     1", lines.get(1).substring(40, 46), "then the id in 5");
        assertTrue(Double.parseDouble(lines.get(1).trim().split("\\s+")[6]) > 0, "the PoD guest has PoD entries: " + lines.get(1));
    }

    @Test
    void domainsByIdOrNameInTheOrderGiven() {
        Out o = run("list", "plain", "1");
        assertEquals(0, o.rc(), o.err());
        List<String> lines = o.out().lines().toList();
        assertEquals(3, lines.size(), o.out());
        assertTrue(lines.get(1).startsWith("plain ") && lines.get(2).startsWith("podder "), o.out());
        Out bad = run("list", "nosuch");
        assertEquals(1, bad.rc());
        assertEquals("fallow list: no domain named 'nosuch' (see ./fallow list)", bad.err().strip());
    }

    @Test
    void longIsJsonInKiB() {
        Out o = run("list", "-l", "podder");
        assertEquals(0, o.rc(), o.err());
        String j = o.out().strip();
        assertTrue(j.startsWith("[{\"domid\":1,\"name\":\"podder\",\"state\":\"r-----\",\"vcpus\":1,"), j);
        assertTrue(j.contains("\"max_memkb\":" + (17 * 1024)), "maxmem 16 MiB + 1 MiB, in KiB: " + j);
        assertTrue(j.matches(".*\"pod_entries_kb\":[1-9]\\d*.*"), j);
        assertTrue(j.endsWith("}]") && j.lines().count() == 1, j);
    }
}
