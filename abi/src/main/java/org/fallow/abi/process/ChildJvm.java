package org.fallow.abi.process;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The one way Fallow starts a child JVM: the java binary of this process, the flags every Fallow JVM needs, the
 * caller's JVM options, this process's class path, then {@code mainClass args}. Callers choose redirects on the
 * returned {@link ProcessBuilder}. Used by the demo and CLI (background roles), the benchmarks and the tests.
 */
public final class ChildJvm {
    /** Flags every Fallow JVM runs with (foreign memory and Netty's direct buffers). */
    public static final List<String> REQUIRED_FLAGS = List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow");
    /**
     * No {@code /tmp/hsperfdata_<user>/<pid>} file (the JVM's perf-data counters, read by jps/jstat): a file outside
     * the run directory that names every Fallow process, and a few milliseconds of each start. A caller that wants
     * jstat on its child passes {@code -XX:+UsePerfData} in its JVM options (they come later and win).
     */
    public static final String NO_PERF_DATA = "-XX:-UsePerfData";
    /**
     * The JDK's incubating Vector API, for a JVM that runs a hypervisor: tmem's word coder encodes pages with 512-bit
     * vectors where the module is present (without it LZ4 is the default codec: the scalar word coder, same output,
     * costs about LZ4's CPU). The JVM names an incubator module on stderr once at start. Given to the hypervisor's JVM
     * only ({@link #command}), and by the launcher to {@code hypervisor} and {@code bench}.
     */
    public static final String VECTOR_MODULE = "--add-modules=jdk.incubator.vector";
    /** Options for short-lived helper JVMs on a shared machine: quick start-up, small footprint. */
    public static final List<String> SMALL = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    /**
     * Start-up settings the launcher gives every Fallow JVM, passed on to children when this JVM has them: jffi's
     * extracted native library (else each child writes its own copy to a temporary file) and SLF4J's provider (else
     * each child's first logger searches every jar), and the poll-before-block window ({@code fallow.spinMicros},
     * {@link org.fallow.abi.sys.SpinPolicy}), so that a bench run with it changed runs its hypervisor so too.
     */
    static final List<String> INHERITED_PROPERTIES = List.of("jffi.boot.library.path", "slf4j.provider", "slf4j.internal.verbosity",
            "fallow.spinMicros");

    private ChildJvm() {}

    /** The java launcher of this JVM. */
    public static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** {@code java <required flags> -XX:-UsePerfData <jvmOpts> [-Dfallow.home=…] -cp <this class path> mainClass args}. */
    public static List<String> command(List<String> jvmOpts, String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary());
        cmd.addAll(REQUIRED_FLAGS);
        if (runsHypervisor(mainClass, args)) cmd.add(VECTOR_MODULE);
        cmd.add(NO_PERF_DATA);
        for (String key : INHERITED_PROPERTIES) {
            String v = System.getProperty(key);
            if (v != null) cmd.add("-D" + key + "=" + v);
        }
        cmd.addAll(jvmOpts);
        String home = System.getProperty("fallow.home");
        if (home != null) cmd.add("-Dfallow.home=" + home);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }

    /**
     * True for the hypervisor's own main class, and for the cli's {@code FallowMain} whose subcommand (the first
     * argument that is neither an option nor the value of {@code --run-dir} or {@code --socket}) is {@code hypervisor}.
     */
    static boolean runsHypervisor(String mainClass, List<String> args) {
        if (mainClass.equals(HypervisorProcess.MAIN_CLASS)) return true;
        if (!mainClass.equals("org.fallow.cli.FallowMain")) return false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--run-dir") || a.equals("--socket")) i++;
            else if (!a.startsWith("-")) return a.equals("hypervisor");
        }
        return false;
    }

    /** A process builder for {@link #command}; the caller sets redirects and environment, then starts it. */
    public static ProcessBuilder builder(List<String> jvmOpts, String mainClass, List<String> args) {
        return new ProcessBuilder(command(jvmOpts, mainClass, args));
    }
}
