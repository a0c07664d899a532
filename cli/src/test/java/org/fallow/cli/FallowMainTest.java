package org.fallow.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class FallowMainTest {
    @Test
    void globalOptionsAreParsedBeforeTheSubcommand() {
        CommandLine cl = FallowMain.commandLine();
        CommandLine.ParseResult pr = cl.parseArgs("--run-dir", "/tmp/rd", "--socket", "/tmp/rd/x.sock", "help");
        FallowMain root = cl.getCommand();
        assertEquals(Path.of("/tmp/rd"), root.runDir);
        assertEquals(Path.of("/tmp/rd/x.sock"), root.socket);
        assertEquals("help", pr.subcommand().commandSpec().name());
        RunContext ctx = root.context();
        assertEquals(Path.of("/tmp/rd/x.sock"), RunContext.current().socket());
        assertEquals(ctx, RunContext.current());
    }

    @Test
    void noArgumentsPrintsTheCommandList() {
        CommandLine cl = FallowMain.commandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        java.io.PrintStream old = System.out;
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(buf));
        try {
            assertEquals(0, cl.execute());
        } finally {
            System.setOut(old);
        }
        String usage = buf + out.toString();
        assertTrue(usage.contains("Usage: fallow"), usage);
        assertTrue(usage.contains("--run-dir"), usage);
    }

    @Test
    void unknownCommandsAreAUsageError() {
        CommandLine cl = FallowMain.commandLine();
        cl.setErr(new PrintWriter(new StringWriter()));
        assertEquals(2, cl.execute("no-such-command"));
    }

    @CommandLine.Command(name = "probe")
    static final class Probe implements Runnable {
        @CommandLine.Option(names = "--run-dir") Path runDir;
        @CommandLine.Option(names = "--socket") String socket;
        @Override public void run() { }
    }

    @Test
    void globalRunDirAndSocketReachSubcommandsWithTheirOwnOptions() {
        CommandLine cl = FallowMain.commandLine();
        Probe probe = new Probe();
        cl.addSubcommand(probe);
        assertEquals(0, cl.execute("--run-dir", "/tmp/g", "probe"));
        assertEquals(Path.of("/tmp/g"), probe.runDir);
        assertEquals("/tmp/g/hypervisor.sock", probe.socket);

        CommandLine cl2 = FallowMain.commandLine();
        Probe own = new Probe();
        cl2.addSubcommand(own);
        assertEquals(0, cl2.execute("--run-dir", "/tmp/g", "probe", "--socket", "/tmp/mine.sock"));
        assertEquals("/tmp/mine.sock", own.socket, "an option given to the subcommand wins");
        assertEquals(Path.of("/tmp/g"), own.runDir);

        CommandLine cl3 = FallowMain.commandLine();
        Probe sub = new Probe();
        cl3.addSubcommand(sub);
        assertEquals(0, cl3.execute("probe", "--run-dir", "/tmp/s"));
        assertEquals(Path.of("/tmp/s"), sub.runDir);
        assertEquals("/tmp/s/hypervisor.sock", sub.socket, "the socket follows the subcommand's own run dir");

        CommandLine cl4 = FallowMain.commandLine();
        Probe both = new Probe();
        cl4.addSubcommand(both);
        assertEquals(0, cl4.execute("--socket", "/tmp/global.sock", "probe", "--run-dir", "/tmp/s"));
        assertEquals("/tmp/global.sock", both.socket, "an explicit global --socket still wins over the default");
    }

    @Test
    void roleCommandsTakeTheirSocketFromTheGlobalRunDir() {
        // picocli checks required options before the global --run-dir is handed down, so a role command whose
        // socket has a run-dir default must not declare --socket required
        CommandLine.ParseResult pr = FallowMain.commandLine().parseArgs("--run-dir", "/tmp/g", "guest", "--domid", "1", "--secret-fd", "3");
        assertTrue(pr.hasSubcommand());
        assertEquals("guest", pr.subcommand().commandSpec().name());
    }
}
