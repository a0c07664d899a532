package org.fallow.cli;

import org.fallow.abi.tools.AbiCommand;
import org.fallow.cli.top.TopCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * {@code ./fallow}: one xl/xm-style command tree over every process role. Global options come before the
 * subcommand ({@code ./fallow --run-dir /tmp/x list}); they are resolved once by {@link #executionStrategy} and
 * published through {@link RunContext}.
 */
@Command(name = "fallow", mixinStandardHelpOptions = true, version = "fallow 0.1.0",
        description = "User-space emulator of Xen's memory-overcommit hypercall ABI (tmem, memory_op/PoD, mem_paging).",
        subcommands = {
                // process roles, one per line (other modules' helpers add theirs here); the toolstack commands,
                // top, demo, bench and help are added in commandLine() in xl's order
                org.fallow.hypervisor.HypervisorMain.class,
                AbiCommand.class,
                org.fallow.guest.GuestMain.class,
                org.fallow.xc.xenpaging.XenPagingCommand.class,
                org.fallow.xc.tools.XenstoreCommand.class,
                org.fallow.conformance.ConformanceCommand.class,
        })
public final class FallowMain implements Runnable {
    @Option(names = "--run-dir", paramLabel = "DIR",
            description = "Hypervisor run directory (default: $FALLOW_RUN_DIR or /tmp/fallow-$USER).")
    Path runDir;

    @Option(names = "--socket", paramLabel = "PATH",
            description = "Hypervisor socket (default: <run-dir>/hypervisor.sock).")
    Path socket;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command tree (also used by the parsing tests). */
    public static CommandLine commandLine() {
        FallowMain root = new FallowMain();
        CommandLine cl = new CommandLine(root);
        for (Object c : org.fallow.xc.tools.DomainCommands.commands()) cl.addSubcommand(c);
        cl.addSubcommand(new org.fallow.xc.tools.PagingCommands.MemSwapTarget());
        cl.addSubcommand(new PagingCommand());
        for (Object c : org.fallow.xc.tools.TmemCommands.commands()) cl.addSubcommand(c);
        cl.addSubcommand(new TopCommand());
        cl.addSubcommand(new org.fallow.cli.demo.DemoCommand());
        cl.addSubcommand(new BenchCommand());
        cl.addSubcommand("xen", org.fallow.xc.xen.XenCommand.commandLine());
        cl.addSubcommand(new CommandLine.HelpCommand());
        cl.setExecutionExceptionHandler((ex, line, pr) -> {
            line.getErr().println("fallow " + line.getCommandName() + ": " + describe(ex));
            if (Boolean.getBoolean("fallow.debug")) ex.printStackTrace(line.getErr());
            return 1;
        });
        cl.setExecutionStrategy(pr -> {
            RunContext ctx = root.context();
            for (CommandLine.ParseResult sub = pr.subcommand(); sub != null; sub = sub.subcommand()) {
                propagate(sub, ctx, root.socket != null);
                if (sub.commandSpec().userObject() instanceof BenchCommand) BenchCommand.quietLogs();
            }
            return new CommandLine.RunLast().execute(pr);
        });
        return cl;
    }

    /**
     * Gives a subcommand that has its own {@code --run-dir}/{@code --socket} options (the hypervisor, the libxc-shim
     * commands) the global values, unless it was given its own on the command line.
     */
    static void propagate(CommandLine.ParseResult sub, RunContext ctx, boolean globalSocketGiven) {
        set(sub, "--run-dir", ctx.runDir());
        // a subcommand given its own --run-dir (and no socket anywhere) uses the socket in that directory
        Path runDir = ctx.runDir();
        if (sub.hasMatchedOption("--run-dir")) {
            Object own = sub.commandSpec().findOption("--run-dir").getValue();
            if (own != null) runDir = Path.of(own.toString());
        }
        set(sub, "--socket", globalSocketGiven ? ctx.socket() : runDir.resolve(RunContext.SOCKET_NAME).toAbsolutePath().normalize());
    }

    private static void set(CommandLine.ParseResult sub, String name, Path value) {
        CommandLine.Model.OptionSpec o = sub.commandSpec().findOption(name);
        if (o == null || sub.hasMatchedOption(name)) return;
        Class<?> t = o.type();
        if (t == Path.class) o.setValue(value);
        else if (t == String.class) o.setValue(value.toString());
        else if (t == java.io.File.class) o.setValue(value.toFile());
    }

    /** A one-line description of a failure; a missing socket names the hypervisor it expected. */
    static String describe(Throwable ex) {
        String msg = ex.getMessage() == null ? ex.toString() : ex.getMessage();
        if (ex instanceof java.io.IOException && (msg.contains("No such file") || msg.contains("Connection refused"))) {
            RunContext ctx = RunContext.current();
            return "no hypervisor at " + ctx.socket() + " (" + msg + "); start one with ./fallow --run-dir "
                    + ctx.runDir() + " hypervisor";
        }
        return msg + " (-Dfallow.debug=true for the stack trace)";
    }

    /** Resolves and publishes the global options. */
    public RunContext context() {
        return RunContext.resolve(runDir, socket, System.getenv()).publish();
    }

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        spec.commandLine().usage(System.out);
    }
}
