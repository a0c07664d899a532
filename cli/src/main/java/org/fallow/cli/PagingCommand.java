package org.fallow.cli;

import org.fallow.abi.fs.PidFile;
import org.fallow.abi.fs.SafeFiles;
import org.fallow.cli.demo.ChildProcesses;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code fallow paging start|stop DOMID}: runs the xenpaging daemon for a domain in the background (as xm did for a
 * guest with {@code actmem=}), with its pid file and log in the run directory, and stops it with SIGTERM (xenpaging
 * then pages everything back in before it exits).
 */
@Command(name = "paging", mixinStandardHelpOptions = true,
        description = "Start or stop the xenpaging daemon of a domain in the background.",
        subcommands = {PagingCommand.Start.class, PagingCommand.Stop.class})
public final class PagingCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "say 'paging start DOMID' or 'paging stop DOMID'");
    }

    /** A domain id as given, or the id of the domain with that name (asks the hypervisor). */
    static int domid(RunContext ctx, String domain) throws IOException {
        if (domain.matches("\\d{1,5}")) return Integer.parseInt(domain);
        try (org.fallow.xc.XcHandle xc = org.fallow.xc.XcHandle.open(ctx.socket(), org.fallow.abi.AbiProfile.XEN_4_12)) {
            return org.fallow.xc.tools.DomainRef.resolve(xc, domain);
        }
    }

    static Path pidFile(RunContext ctx, int domid) { return ctx.runDir().resolve("xenpaging-" + domid + ".pid"); }

    static Path logFile(RunContext ctx, int domid) { return ctx.runDir().resolve("xenpaging-" + domid + ".log"); }

    /** What the command line of the pager of {@code domid} in this run directory contains, in order. */
    static List<String> pagerWords(RunContext ctx, int domid) {
        return List.of("--run-dir", ctx.runDir().toString(), "xenpaging", "-d", Integer.toString(domid));
    }

    /**
     * The pager the pid file names, only if it still is that pager (alive, same start time, a xenpaging of this domain
     * and run directory: docs/SECURITY.md); a stale pid file is removed, never obeyed.
     */
    static Optional<ProcessHandle> running(RunContext ctx, int domid) throws IOException {
        return PidFile.live(pidFile(ctx, domid), pagerWords(ctx, domid), true);
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = "Start xenpaging for DOMAIN in the background; with --actmem also set its paging target (mem-swap-target).")
    static final class Start implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = "domain id or name") String domain;
        int domid;

        @Option(names = "--actmem", paramLabel = "MB", description = "Paging target: MiB to keep resident (mem-swap-target).")
        Long actmemMiB;

        @Option(names = {"-f", "--pagefile"}, paramLabel = "FILE", description = "Page file (default: <run-dir>/pagefile-DOMID).")
        Path pagefile;

        @Option(names = {"-r", "--mru-size"}, paramLabel = "N", description = "xenpaging MRU size in pages (power of two).")
        Integer mru;

        @Override public Integer call() throws Exception {
            RunContext ctx = RunContext.current();
            domid = domid(ctx, domain);
            SafeFiles.checkTrustedDir(ctx.runDir()); // the hypervisor's run dir: ours, private, not a link
            Optional<ProcessHandle> old = running(ctx, domid);
            if (old.isPresent()) {
                System.err.println("xenpaging for dom" + domid + " already runs (pid " + old.get().pid() + ")");
                return 1;
            }
            List<String> args = new ArrayList<>(List.of("-v", "--run-dir", ctx.runDir().toString(), "--socket", ctx.socket().toString(),
                    "xenpaging", "-d", Integer.toString(domid),
                    "-f", (pagefile != null ? pagefile : ctx.runDir().resolve("pagefile-" + domid)).toString()));
            if (mru != null) args.addAll(List.of("-r", Integer.toString(mru)));
            ProcessBuilder pb = new ProcessBuilder(ChildProcesses.fallowCommand(List.of("-Xmx128m"), args));
            pb.redirectErrorStream(true);
            pb.redirectOutput(SafeFiles.appendRedirect(logFile(ctx, domid))); // 0600, not through a link
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            Process p = pb.start();
            PidFile.write(pidFile(ctx, domid), p.toHandle(), pagerWords(ctx, domid));
            if (p.waitFor(1, TimeUnit.SECONDS)) {
                System.err.println("xenpaging for dom" + domid + " exited at once (" + p.exitValue() + "); see " + logFile(ctx, domid));
                SafeFiles.deleteIfOwnedRegular(pidFile(ctx, domid));
                return 1;
            }
            System.out.println("xenpaging for dom" + domid + " started (pid " + p.pid() + ", log " + logFile(ctx, domid) + ")");
            if (actmemMiB != null) {
                return FallowMain.commandLine().execute("--run-dir", ctx.runDir().toString(), "--socket", ctx.socket().toString(),
                        "mem-swap-target", Integer.toString(domid), Long.toString(actmemMiB));
            }
            return 0;
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true,
            description = "Stop the xenpaging of DOMAIN (SIGTERM: it pages everything back in, then exits).")
    static final class Stop implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = "domain id or name") String domain;
        int domid;

        @Option(names = "--timeout", paramLabel = "S", defaultValue = "60", description = "Seconds to wait for it to exit (default ${DEFAULT-VALUE}).")
        long timeoutS;

        @Override public Integer call() throws Exception {
            RunContext ctx = RunContext.current();
            domid = domid(ctx, domain);
            Path pf = pidFile(ctx, domid);
            String stale = PidFile.whyStale(pf, pagerWords(ctx, domid));
            Optional<ProcessHandle> ph = running(ctx, domid); // removes a stale pid file
            if (ph.isEmpty()) {
                System.err.println("no xenpaging runs for dom" + domid
                        + (stale != null && !stale.startsWith("no usable") ? " (" + stale + "; pid file removed, nothing signalled)" : ""));
                return 1;
            }
            ph.get().destroy();
            try {
                ph.get().onExit().get(timeoutS, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                System.err.println("xenpaging for dom" + domid + " still runs after " + timeoutS + " s (pid " + ph.get().pid() + ")");
                return 1;
            }
            SafeFiles.deleteIfOwnedRegular(pf);
            System.out.println("xenpaging for dom" + domid + " stopped");
            return 0;
        }
    }
}
