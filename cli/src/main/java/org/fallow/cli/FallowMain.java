package org.fallow.cli;

import org.fallow.abi.tools.AbiCommand;
import org.fallow.cli.top.TopCommand;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.nio.file.Path;
import java.util.List;

/**
 * {@code ./fallow}: one xl/xm-style command tree over every process role. Global options come before the
 * subcommand ({@code ./fallow --run-dir /tmp/x list}); they are resolved once by the execution strategy and
 * published through {@link RunContext}.
 *
 * <p>The subcommands are listed once, in {@link #COMMANDS}, as factories: {@link #main} builds only the one it runs
 * (start-up time), {@link #commandLine()} the whole tree (usage, {@code help}, tests). Every command and subcommand
 * answers {@code --help}, and every command with subcommands has {@code help}. This root command, {@code list} and
 * {@code startup-probe} (the floors of {@code bench startup}) are built through picocli's programmatic API
 * ({@link #spec}, {@link ListCommand#spec}), the others from their annotations: a short command that reads no
 * annotation spares the JVM its annotation proxy classes.
 */
public final class FallowMain implements Runnable {
    /** One subcommand: its name and how to make it (an annotated command object, a CommandSpec or a CommandLine). */
    record Sub(String name, java.util.function.Supplier<Object> make) { }

    /** Every subcommand, in the order of the usage text (process roles, then the toolstack commands in xl's order). */
    static final List<Sub> COMMANDS = List.of(
            new Sub("hypervisor", org.fallow.hypervisor.HypervisorMain::new),
            new Sub("abi", AbiCommand::new),
            new Sub("guest", org.fallow.guest.GuestMain::new),
            new Sub("xenpaging", org.fallow.xc.xenpaging.XenPagingCommand::new),
            new Sub("xenstore", org.fallow.xc.tools.XenstoreCommand::new),
            new Sub("conformance", org.fallow.conformance.ConformanceCommand::new),
            new Sub("create", org.fallow.xc.tools.DomainCommands.Create::new),
            new Sub("destroy", org.fallow.xc.tools.DomainCommands.Destroy::new),
            new Sub("mem-set", org.fallow.xc.tools.DomainCommands.MemSet::new),
            new Sub("mem-max", org.fallow.xc.tools.DomainCommands.MemMax::new),
            new Sub("list", () -> ListCommand.spec(new ListCommand())),
            new Sub("mem-swap-target", org.fallow.xc.tools.PagingCommands.MemSwapTarget::new),
            new Sub("paging", PagingCommand::new),
            new Sub("tmem-list", org.fallow.xc.tools.TmemCommands.TmemList::new),
            new Sub("tmem-freeze", org.fallow.xc.tools.TmemCommands.TmemFreeze::new),
            new Sub("tmem-thaw", org.fallow.xc.tools.TmemCommands.TmemThaw::new),
            new Sub("tmem-flush", org.fallow.xc.tools.TmemCommands.TmemFlush::new),
            new Sub("tmem-destroy", org.fallow.xc.tools.TmemCommands.TmemDestroy::new),
            new Sub("tmem-set", org.fallow.xc.tools.TmemCommands.TmemSet::new),
            new Sub("tmem-freeable", org.fallow.xc.tools.TmemCommands.TmemFreeable::new),
            new Sub("tmem-shared-auth", org.fallow.xc.tools.TmemCommands.TmemSharedAuth::new),
            new Sub("top", TopCommand::new),
            new Sub("demo", org.fallow.cli.demo.DemoCommand::new),
            new Sub("bench", BenchCommand::new),
            new Sub("startup-probe", () -> org.fallow.cli.bench.StartupProbe.spec(new org.fallow.cli.bench.StartupProbe())),
            new Sub("xen", org.fallow.xc.xen.XenCommand::commandLine));

    /** Commands that run until stopped and log to {@code <run-dir>/logs/} unless {@code -v}. */
    static final java.util.Set<String> DAEMONS = java.util.Set.of("hypervisor", "guest");

    /** -v, -vv (see {@link #spec}). */
    boolean[] verbose = new boolean[0];
    Path runDir;
    Path socket;
    CommandSpec spec;

    /** The root command's options and usage text (what {@code @Command}/{@code @Option} annotations would say). */
    static CommandSpec spec(FallowMain root) {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(root).name("fallow").version("fallow 0.1.0");
        spec.usageMessage().description("User-space emulator of Xen's memory-overcommit hypercall ABI (tmem, "
                + "memory_op/PoD, mem_paging).");
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help message and exit.").build());
        spec.addOption(OptionSpec.builder("-V", "--version").versionHelp(true).description("Print version information and exit.").build());
        FieldBinding<boolean[]> verbose = FieldBinding.of(() -> root.verbose, v -> root.verbose = v);
        spec.addOption(OptionSpec.builder("-v", "--verbose").type(boolean[].class).auxiliaryTypes(boolean.class).arity("0").initialValue(new boolean[0])
                .description("More output: -v logs INFO (daemons log here instead of <run-dir>/logs/), -vv DEBUG. "
                        + "Give it before the command.").getter(verbose).setter(verbose).build());
        FieldBinding<Path> runDir = FieldBinding.of(() -> root.runDir, v -> root.runDir = v);
        spec.addOption(OptionSpec.builder("--run-dir").paramLabel("DIR").type(Path.class)
                .description("Hypervisor run directory (default: $FALLOW_RUN_DIR or /tmp/fallow-$USER).")
                .getter(runDir).setter(runDir).build());
        FieldBinding<Path> socket = FieldBinding.of(() -> root.socket, v -> root.socket = v);
        spec.addOption(OptionSpec.builder("--socket").paramLabel("PATH").type(Path.class)
                .description("Hypervisor socket (default: <run-dir>/hypervisor.sock).").getter(socket).setter(socket).build());
        root.spec = spec;
        return spec;
    }

    /** picocli's switch for Groovy closures in annotations (Fallow has none). */
    static final String PICOCLI_NO_CLOSURES = "picocli.disable.closures";

    public static void main(String[] args) {
        // picocli's DefaultFactory looks for groovy.lang.Closure when first used unless told not to: a class that is not
        // there, looked for in every jar of the class path (50 jars, each opened for it: ~25 ms of a short command)
        if (System.getProperty(PICOCLI_NO_CLOSURES) == null) System.setProperty(PICOCLI_NO_CLOSURES, "true");
        Invocation inv = Invocation.of(args);
        configureLogging(inv);
        int rc = commandLine(inv.command()).execute(args);
        // Success with no other thread left that would keep the JVM up: main returns and the JVM ends as System.exit(0)
        // would (shutdown hooks run, status 0), without Runtime.exit's look-up of its System.Logger, which made every
        // short command set up the JDK's logging back end on its way out (about a third more classes for a bare main).
        if (rc != 0 || otherLiveThreads()) System.exit(rc);
    }

    /** Whether a live non-daemon thread other than this one exists (or more threads than it looked at). */
    static boolean otherLiveThreads() {
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) root = root.getParent();
        Thread[] all = new Thread[root.activeCount() + 16];
        int n = root.enumerate(all, true);
        if (n == all.length) return true;
        for (int i = 0; i < n; i++)
            if (all[i] != Thread.currentThread() && all[i].isAlive() && !all[i].isDaemon()) return true;
        return false;
    }

    /** The global options and the command name of a command line, found without building the command tree. */
    record Invocation(int verbosity, String command) {
        static Invocation of(String[] args) {
            int v = 0;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--run-dir") || a.equals("--socket")) i++;
                else if (a.equals("--verbose")) v++;
                else if (a.matches("-v+")) v += a.length() - 1;
                else if (a.startsWith("-")) continue;
                else return new Invocation(v, a);
            }
            return new Invocation(v, null);
        }
    }

    /**
     * Quiet by default: WARN and above on stderr; {@code -v} INFO, {@code -vv} DEBUG. Daemons log INFO to
     * {@code <run-dir>/logs/} unless {@code -v} (see {@link org.fallow.abi.tools.ProcessLog}). Runs before any logger
     * exists; a level the user set ({@code FALLOW_JVM_OPTS=-Dorg.slf4j.simpleLogger.defaultLogLevel=...}) wins.
     */
    static void configureLogging(Invocation inv) {
        System.setProperty(org.fallow.abi.tools.ProcessLog.VERBOSITY, Integer.toString(inv.verbosity()));
        String key = "org.slf4j.simpleLogger.defaultLogLevel";
        if (System.getProperty(key) != null) return;
        boolean daemon = inv.command() != null && DAEMONS.contains(inv.command());
        System.setProperty(key, inv.verbosity() >= 2 ? "debug" : inv.verbosity() == 1 || daemon ? "info" : "warn");
    }

    /** The whole command tree (usage, help, tests). */
    public static CommandLine commandLine() { return commandLine(null); }

    /**
     * The command tree with only {@code only} built (when it names a subcommand; else every subcommand): the other
     * subcommands are not even loaded, which is most of a short command's start-up time.
     */
    static CommandLine commandLine(String only) {
        FallowMain root = new FallowMain();
        CommandLine cl = new CommandLine(spec(root));
        boolean one = only != null && COMMANDS.stream().anyMatch(c -> c.name().equals(only));
        for (Sub c : COMMANDS) if (!one || c.name().equals(only)) cl.addSubcommand(c.name(), c.make().get());
        if (!one) cl.addSubcommand(new CommandLine.HelpCommand());
        addHelp(cl);
        // errors go to the stderr of now (the terminal) even after a daemon sent its log (System.err) to a file
        cl.setErr(new java.io.PrintWriter(System.err, true));
        cl.setExecutionExceptionHandler((ex, line, pr) -> {
            line.getErr().println("fallow " + line.getCommandName() + ": " + describe(ex));
            if (Boolean.getBoolean("fallow.debug") || root.verbose.length >= 2) ex.printStackTrace(line.getErr());
            return 1;
        });
        // a usage error is one line too, with where to look
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine bad = ex.getCommandLine();
            String path = bad.getCommandSpec().qualifiedName(" ").replaceFirst("^fallow ?", "");
            bad.getErr().println("fallow" + (path.isEmpty() ? "" : " " + path) + ": " + ex.getMessage()
                    + " (see ./fallow " + (path.isEmpty() ? "" : path + " ") + "--help)");
            return bad.getCommandSpec().exitCodeOnInvalidInput();
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
     * Every command and subcommand answers {@code --help} (and {@code -h} where that is not already one of its
     * options), and every command with subcommands has a {@code help} subcommand: {@code fallow xenstore help read}.
     */
    static void addHelp(CommandLine cl) {
        CommandLine.Model.CommandSpec spec = cl.getCommandSpec();
        if (spec.userObject() instanceof CommandLine.HelpCommand) return;
        if (spec.findOption("--help") == null) {
            boolean hFree = spec.findOption("-h") == null && spec.unmatchedArgsBindings().isEmpty(); // bench jmh: -h is JMH's
            String[] names = hFree ? new String[]{"-h", "--help"} : new String[]{"--help"};
            spec.addOption(CommandLine.Model.OptionSpec.builder(names).usageHelp(true)
                    .description("Show this help message and exit.").build());
        }
        if (!cl.getSubcommands().isEmpty() && !cl.getSubcommands().containsKey("help") && spec.parent() != null)
            cl.addSubcommand("help", new CommandLine.HelpCommand());
        for (CommandLine sub : cl.getSubcommands().values()) addHelp(sub);
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

    /**
     * A one-line description of a failure, in words: a command's own refusal as it is, a missing socket names the
     * hypervisor it expected and how to start one; anything else with its type (-vv for the stack trace).
     */
    static String describe(Throwable ex) {
        String msg = ex.getMessage() == null ? ex.toString() : ex.getMessage();
        if (ex instanceof org.fallow.xc.tools.ToolError) return msg;
        if (ex instanceof java.io.IOException && (msg.contains("No such file") || msg.contains("Connection refused")
                || msg.contains("ENOENT") || msg.contains("ECONNREFUSED"))) {
            RunContext ctx = RunContext.current();
            return "no hypervisor is running at " + ctx.socket() + "; start one with: ./fallow --run-dir " + ctx.runDir()
                    + " hypervisor &";
        }
        if (ex instanceof org.fallow.xc.transport.WireErrorException) return msg;
        String type = ex instanceof java.io.IOException || ex instanceof RuntimeException && !(ex instanceof NullPointerException)
                ? "" : ex.getClass().getSimpleName() + ": ";
        return type + msg.lines().findFirst().orElse("") + " (./fallow -vv for the stack trace)";
    }

    /** Resolves and publishes the global options. */
    public RunContext context() {
        return RunContext.resolve(runDir, socket, System.getenv()).publish();
    }

    @Override public void run() {
        spec.commandLine().usage(System.out);
    }
}
