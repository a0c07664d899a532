package org.fallow.xc.xen;

import org.fallow.abi.wire.RunDirectory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code fallow xen TOOL [ARGS...]}: runs Debian's unmodified Xen 4.17 binary TOOL (xenstore-read, xenstore-ls,
 * test-xenstore, ...) against the hypervisor of {@code --run-dir}. The packages come from {@link XenPackages} (fetched
 * with apt-get on first use); the tool gets {@code LD_LIBRARY_PATH} for the unpacked Xen libraries and
 * {@code XENSTORED_PATH=<run-dir>/xenstored.sock}. Everything after TOOL is the tool's own argument list. The exit
 * status is the tool's.
 */
@Command(name = "xen", mixinStandardHelpOptions = true,
        description = {"Run a real Xen 4.17 tool (Debian's xenstore-utils, xen-utils-4.17) against the hypervisor.",
                "On first use fetches Debian's packages with apt-get download into the cache "
                        + "($FALLOW_XEN_CACHE, else ~/.cache/fallow/xen-4.17).",
                "Example: fallow --run-dir D xen xenstore-write /tool/x hello"})
public final class XenCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--run-dir", paramLabel = "DIR", description = "hypervisor run directory (default: the global --run-dir)")
    Path runDir;

    @Option(names = "--fetch", description = "Only fetch and unpack the packages (if needed) and print the cache's root.")
    boolean fetchOnly;

    @Option(names = "--list", description = "List the tools the packages provide.")
    boolean list;

    @Parameters(index = "0", arity = "0..1", paramLabel = "TOOL", description = "e.g. xenstore-ls, xenstore-read, test-xenstore")
    String tool;

    @Parameters(index = "1..*", paramLabel = "ARGS", description = "the tool's arguments")
    List<String> args = new ArrayList<>();

    /** The tool named on the command line (null: none). */
    public String tool() { return tool; }

    /** The tool's arguments, as given. */
    public List<String> toolArgs() { return List.copyOf(args); }

    /** The command with picocli set up to pass everything after TOOL to the tool (options included). */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new XenCommand());
        cl.setStopAtPositional(true);
        cl.setUnmatchedOptionsArePositionalParams(true);
        return cl;
    }

    @Override public Integer call() throws Exception {
        XenPackages pkgs = XenPackages.fromEnvironment(System.getenv(), System.err);
        Path root = pkgs.ensure();
        if (fetchOnly) {
            spec.commandLine().getOut().println(root);
            return 0;
        }
        if (list || tool == null) {
            if (tool == null && !list) spec.commandLine().usage(spec.commandLine().getErr());
            spec.commandLine().getOut().println("tools: " + String.join(" ", pkgs.tools()));
            return list ? 0 : 2;
        }
        Path exe = pkgs.tool(tool).orElse(null);
        if (exe == null) {
            spec.commandLine().getErr().println("fallow xen: no tool named " + tool + " in " + root
                    + " (fallow xen --list shows them)");
            return 2;
        }
        Path dir = runDir != null ? runDir : RunDirectory.defaultRunDir();
        Path xenstored = dir.resolve(RunDirectory.XENSTORED_SOCKET_NAME);
        if (!java.nio.file.Files.exists(xenstored))
            spec.commandLine().getErr().println("fallow xen: no hypervisor at " + xenstored + " (start one with ./fallow --run-dir "
                    + dir + " hypervisor); running " + tool + " anyway");
        List<String> cmd = new ArrayList<>();
        cmd.add(exe.toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        pb.environment().putAll(toolEnvironment(pkgs, root, dir.toAbsolutePath().normalize(), System.getenv()));
        return runToEnd(pb);
    }

    /**
     * The environment a real tool needs to reach the hypervisor of {@code runDir}: the unpacked libraries first on
     * {@code LD_LIBRARY_PATH}, {@code XENSTORED_PATH} naming the xenstored socket. (The privcmd/evtchn bridge adds
     * its own variables here.)
     */
    public static Map<String, String> environment(Path root, Path runDir, Map<String, String> env) {
        String libs = root.resolve(XenPackages.LIB_DIR).toString();
        String old = env.get("LD_LIBRARY_PATH");
        Map<String, String> out = new java.util.LinkedHashMap<>();
        out.put("LD_LIBRARY_PATH", old == null || old.isBlank() ? libs : libs + File.pathSeparator + old);
        out.put("XENSTORED_PATH", runDir.resolve(RunDirectory.XENSTORED_SOCKET_NAME).toString());
        return out;
    }

    /**
     * Everything a real tool needs: {@link #environment} plus the privcmd bridge's {@link XenBridge#environment}
     * (LD_PRELOAD of the bridge, built on first use into the package cache, the hypervisor socket of {@code runDir}).
     */
    public static Map<String, String> toolEnvironment(XenPackages pkgs, Path root, Path runDir, Map<String, String> env)
            throws IOException {
        Map<String, String> out = new java.util.LinkedHashMap<>(environment(root, runDir, env));
        Path bridge;
        try {
            bridge = XenBridge.ensureBuilt(pkgs.cache());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while building the privcmd bridge", e);
        }
        out.putAll(XenBridge.environment(bridge, runDir, runDir.resolve(RunDirectory.SOCKET_NAME), root, false, env));
        return out;
    }

    /** Runs the tool in the foreground; if this JVM is told to stop, the tool is stopped too. */
    private static int runToEnd(ProcessBuilder pb) throws IOException, InterruptedException {
        Process p = pb.start();
        Thread stopper = new Thread(p::destroy, "fallow-xen-stop-tool");
        Runtime.getRuntime().addShutdownHook(stopper);
        try {
            return p.waitFor();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stopper);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs (or ran) already
            }
        }
    }
}
