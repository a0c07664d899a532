package org.fallow.cli.demo;

import org.fallow.cli.RunContext;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The command lines of the demo's children, as {@code FallowMain} arguments. Kept in one place so the demo follows the
 * subcommands' options exactly.
 */
public final class DemoLaunch {
    private DemoLaunch() { }

    static List<String> global(RunContext ctx) {
        // -v: the children log to stderr, which the demo captures in its logs/ directory
        return List.of("-v", "--run-dir", ctx.runDir().toString(), "--socket", ctx.socket().toString());
    }

    public static List<String> hypervisor(RunContext ctx, long hostMiB) {
        List<String> a = new ArrayList<>(global(ctx));
        a.addAll(List.of("hypervisor", "--host-mem", Long.toString(hostMiB)));
        return a;
    }

    public static List<String> guest(RunContext ctx, Scenario s, Scenario.Guest g, DemoToolstack.Created d, Path statsJson) {
        List<String> a = new ArrayList<>(global(ctx));
        // the secret goes in the child's environment (guestEnv), never on its command line
        a.addAll(List.of("guest", "--domid", Integer.toString(d.domid()),
                "--socket", ctx.socket().toString(), "--workload", g.workload(),
                "--time-scale", num(s.timeScale()),
                "--ops", Long.toString(g.ops()),
                "--progress-every", num(5 * s.timeScale()),
                "--stats-json", statsJson.toString()));
        // the guest ends when it has done its work (--ops), however long that takes on a busy machine
        a.addAll(g.extraArgs());
        return a;
    }

    /** The environment that hands a guest child its domain's secret ($FALLOW_SECRET; docs/SECURITY.md). */
    public static java.util.Map<String, String> guestEnv(DemoToolstack.Created d) {
        return java.util.Map.of(org.fallow.abi.fs.Secrets.ENV, d.secretHex());
    }

    static String num(double v) { return String.format(Locale.ROOT, "%.2f", v); }

    public static List<String> xenpaging(RunContext ctx, int domid, Path pagefile) {
        List<String> a = new ArrayList<>(global(ctx));
        a.addAll(List.of("xenpaging", "-d", Integer.toString(domid), "-f", pagefile.toString()));
        return a;
    }
}
