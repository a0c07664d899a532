package org.fallow.cli;

import org.fallow.cli.demo.DemoCommand;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The command tree: every xl-style command is mounted and parses its typical options (nothing is executed). */
class CommandTreeTest {
    private static CommandLine.ParseResult parse(String... args) {
        return FallowMain.commandLine().parseArgs(args);
    }

    private static CommandLine.ParseResult leaf(CommandLine.ParseResult pr) {
        while (pr.hasSubcommand()) pr = pr.subcommand();
        return pr;
    }

    @Test
    void everyCommandIsMounted() {
        Map<String, CommandLine> subs = FallowMain.commandLine().getSubcommands();
        for (String c : List.of("hypervisor", "abi", "guest", "xenstore", "create", "destroy", "list", "mem-set", "mem-max",
                "tmem-list", "tmem-freeze", "tmem-thaw", "tmem-flush", "tmem-destroy", "tmem-set", "tmem-freeable",
                "tmem-shared-auth", "mem-swap-target", "xenpaging", "paging", "conformance", "top", "demo", "bench", "help"))
            assertTrue(subs.containsKey(c), "missing " + c + " in " + subs.keySet());
        assertTrue(subs.get("bench").getSubcommands().keySet().containsAll(List.of("rtt", "tmem")));
        assertTrue(subs.get("paging").getSubcommands().keySet().containsAll(List.of("start", "stop")));
    }

    @Test
    void toolstackCommandsParseTheirXlStyleArguments() {
        CommandLine.ParseResult create = leaf(parse("create", "--memory", "256", "--maxmem", "1g", "--name", "web"));
        assertEquals("256", create.matchedOptionValue("--memory", ""));
        assertEquals("1g", create.matchedOptionValue("--maxmem", ""), "sizes are parsed as xl does, with units");
        assertEquals(List.of("web", "2g"), leaf(parse("mem-max", "web", "2g")).matchedPositionals().stream()
                .flatMap(p -> p.stringValues().stream()).toList());
        assertEquals(List.of("7", "128"), leaf(parse("mem-set", "7", "128")).matchedPositionals().stream()
                .flatMap(p -> p.stringValues().stream()).toList());
        assertTrue(leaf(parse("tmem-list", "-l", "3")).hasMatchedOption("-l"));
        assertTrue(leaf(parse("tmem-freeze", "-a")).hasMatchedOption("--all"));
        assertEquals(Integer.valueOf(5), leaf(parse("tmem-set", "3", "-w", "5")).matchedOptionValue("--weight", 0));
        assertEquals("2009", leaf(parse("tmem-list", "--abi", "2009")).matchedOptionValue("--abi", ""));
        assertEquals(Path.of("/tmp/x.sock"), leaf(parse("destroy", "--socket", "/tmp/x.sock", "4")).matchedOptionValue("--socket", null));
        assertEquals(Long.valueOf(64), leaf(parse("hypervisor", "--host-mem", "64")).matchedOptionValue("--host-mem", 0L));
        CommandLine.ParseResult start = leaf(parse("paging", "start", "3", "--actmem", "12", "-r", "1024"));
        assertEquals(Long.valueOf(12), start.matchedOptionValue("--actmem", 0L));
        assertEquals(Integer.valueOf(1024), start.matchedOptionValue("--mru-size", 0));
        assertEquals(List.of("3"), start.matchedPositionals().getFirst().stringValues());
        assertEquals(List.of("5", "64"), leaf(parse("mem-swap-target", "5", "64")).matchedPositionals().stream()
                .flatMap(p -> p.stringValues().stream()).toList());
        CommandLine.ParseResult pager = leaf(parse("xenpaging", "-d", "5", "-f", "/tmp/pf", "-v"));
        assertTrue(pager.hasMatchedOption("-v") && pager.hasMatchedOption("-f"));
    }

    @Test
    void topOptions() {
        CommandLine.ParseResult top = leaf(parse("top", "-d", "250", "-n", "3", "--json", "--pages"));
        assertEquals(250L, (Long) top.matchedOptionValue("--delay", 0L));
        assertEquals(3, (Integer) top.matchedOptionValue("--iterations", 0));
        assertTrue(top.hasMatchedOption("--json") && top.hasMatchedOption("--pages") && !top.hasMatchedOption("--once"));
        CommandLine.ParseResult once = leaf(parse("top", "--once"));
        assertTrue(once.hasMatchedOption("--once"));
        assertEquals("1000", once.commandSpec().findOption("--delay").defaultValue(), "default refresh");
    }

    @Test
    void demoOptionsBuildTheEffectiveScenario() throws Exception {
        CommandLine cl = FallowMain.commandLine();
        cl.parseArgs("demo", "--out", "/tmp/o", "--host-mib", "96", "--work", "0.5", "--set", "guest.paged.actmem.mib=8",
                "--set", "progress.ms=500");
        DemoCommand demo = cl.getSubcommands().get("demo").getCommand();
        var s = demo.scenario();
        assertEquals(96, s.hostMiB());
        assertEquals(0.5, s.work());
        assertEquals(500, s.progressMs());
        var full = ((DemoCommand) FallowMain.commandLine().getSubcommands().get("demo").getCommand()).scenario();
        for (int i = 0; i < s.guests().size(); i++)
            assertEquals(Math.round(full.guests().get(i).ops() * 0.5), s.guests().get(i).ops(), "--work scales the work");
        assertEquals(8, s.guests().stream().filter(g -> g.name().equals("paged")).findFirst().orElseThrow().actmemMiB());

        CommandLine q = FallowMain.commandLine();
        q.parseArgs("demo", "--quick");
        var quick = ((DemoCommand) q.getSubcommands().get("demo").getCommand()).scenario();
        assertEquals(Double.parseDouble(DemoCommand.QUICK_WORK), quick.work());
        assertTrue(quick.work() < 1, "--quick does less work");
        assertEquals(List.of(0L, 0L, 0L, 0L, 0L), quick.guests().stream().map(g -> g.startMs()).toList());
    }

    @Test
    void badArgumentsAreUsageErrors() {
        CommandLine cl = FallowMain.commandLine();
        cl.setErr(new java.io.PrintWriter(new java.io.StringWriter()));
        assertEquals(2, cl.execute("top", "--delay", "soon"));
        assertEquals(2, FallowMain.commandLine().setErr(new java.io.PrintWriter(new java.io.StringWriter())).execute("create"));
        assertEquals(2, FallowMain.commandLine().setErr(new java.io.PrintWriter(new java.io.StringWriter())).execute("demo", "--set", "novalue"));
    }
}
