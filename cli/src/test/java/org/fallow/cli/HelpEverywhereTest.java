package org.fallow.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Walks the whole command tree: {@code ./fallow PATH --help} and {@code ./fallow [PARENT] help CMD} exit 0 and print
 * the command's usage for every command and subcommand (issue 10: --help failed with exit 2 on create, destroy,
 * mem-set, mem-max, list, xenstore read/write/ls/rm/watch, bench jmh). Also through the lazily built tree that
 * {@code main} uses for one command.
 */
class HelpEverywhereTest {
    /** Every command path below the root, parents before children (help subcommands left out). */
    static List<List<String>> paths(CommandLine cl, List<String> prefix, List<List<String>> acc) {
        for (var e : cl.getSubcommands().entrySet()) {
            if (e.getValue().getCommandSpec().userObject() instanceof CommandLine.HelpCommand) continue;
            List<String> p = new ArrayList<>(prefix);
            p.add(e.getKey());
            acc.add(p);
            paths(e.getValue(), p, acc);
        }
        return acc;
    }

    record Run(int rc, String text) { }

    static Run run(CommandLine cl, List<String> args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        PrintStream old = System.out;
        ByteArrayOutputStream sysout = new ByteArrayOutputStream();
        System.setOut(new PrintStream(sysout, true, StandardCharsets.UTF_8));
        try {
            int rc = cl.execute(args.toArray(String[]::new));
            return new Run(rc, out + sysout.toString(StandardCharsets.UTF_8) + err);
        } finally {
            System.setOut(old);
        }
    }

    @Test
    void everyCommandAnswersHelpAndHelpCmd() {
        List<List<String>> all = paths(FallowMain.commandLine(), List.of(), new ArrayList<>());
        assertTrue(all.size() > 40, "the whole tree: " + all.size());
        for (List<String> path : all) {
            String name = String.join(" ", path);
            List<String> args = new ArrayList<>(path);
            args.add("--help");
            Run r = run(FallowMain.commandLine(), args);
            assertEquals(0, r.rc(), name + " --help:\n" + r.text());
            assertTrue(r.text().contains("Usage: fallow " + name), name + " --help:\n" + r.text());

            List<String> viaHelp = new ArrayList<>(path.subList(0, path.size() - 1));
            viaHelp.add("help");
            viaHelp.add(path.getLast());
            Run h = run(FallowMain.commandLine(), viaHelp);
            assertEquals(0, h.rc(), String.join(" ", viaHelp) + ":\n" + h.text());
            assertTrue(h.text().contains("Usage: fallow " + name), String.join(" ", viaHelp) + ":\n" + h.text());

            // main builds only the command it runs: help must work there too
            Run lazy = run(FallowMain.commandLine(path.getFirst()), args);
            assertEquals(0, lazy.rc(), "lazy " + name + " --help:\n" + lazy.text());
        }
    }

    @Test
    void theFindingsOfIssue10() {
        for (String c : List.of("create", "destroy", "mem-set", "mem-max", "list", "xenstore read", "xenstore write",
                "xenstore ls", "xenstore rm", "xenstore watch", "bench jmh")) {
            List<String> args = new ArrayList<>(List.of(c.split(" ")));
            args.add("--help");
            assertEquals(0, run(FallowMain.commandLine(), args).rc(), c);
        }
    }

    @Test
    void mainBuildsOnlyTheCommandItRuns() {
        CommandLine one = FallowMain.commandLine("list");
        assertEquals(List.of("list"), List.copyOf(one.getSubcommands().keySet()));
        assertTrue(FallowMain.commandLine("no-such").getSubcommands().containsKey("help"), "unknown: the whole tree");
        assertEquals(new FallowMain.Invocation(2, "list"), FallowMain.Invocation.of(new String[]{"-v", "--run-dir", "/x", "-v", "list", "-l"}));
        assertEquals(new FallowMain.Invocation(2, "demo"), FallowMain.Invocation.of(new String[]{"-vv", "--socket", "/s", "demo"}));
        assertEquals(new FallowMain.Invocation(0, null), FallowMain.Invocation.of(new String[]{"--help"}));
    }

    @Test
    void usageErrorsAreOneLineSayingWhereToLook() {
        Run r = run(FallowMain.commandLine(), List.of("mem-set", "3"));
        assertEquals(2, r.rc());
        assertEquals(1, r.text().strip().lines().count(), r.text());
        assertTrue(r.text().startsWith("fallow mem-set: ") && r.text().strip().endsWith("(see ./fallow mem-set --help)"), r.text());
    }
}
