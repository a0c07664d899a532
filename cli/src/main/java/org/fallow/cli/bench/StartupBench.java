package org.fallow.cli.bench;

import org.fallow.abi.fs.SafeFiles;
import org.fallow.abi.bench.Median;
import org.fallow.abi.process.ChildJvm;
import org.fallow.abi.process.HypervisorProcess;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code fallow bench startup}: {@code ./fallow list} against a bare {@code java -version} of the same JDK (B), both as
 * whole processes started from here, in turn, with each ratio to B taken round by round so that a machine whose speed
 * drifts still compares like with like (issue 16's goal: list / B &lt;= 4). Beside them the floors of
 * {@link StartupProbe} apportion list's time: the launcher, JVM and command line alone, plus one connect with the
 * JDK's Unix-socket channel, plus one connect with JNR-unixsocket. CPU is user + system time of the process and its
 * children (bash's {@code times} after the command); wall is from start to exit, as seen here. The commands talk to a
 * hypervisor started for the run with three domains (or {@code --connect}).
 */
@Command(name = "startup", mixinStandardHelpOptions = true,
        description = "./fallow list vs a bare `java -version`: whole-process CPU and wall time, pair by pair.")
public final class StartupBench implements Callable<Integer> {
    @Option(names = "--connect", paramLabel = "SOCKET",
            description = "List the hypervisor at this socket (default: start one with three domains).")
    Path socket;

    @Option(names = {"-n", "--rounds"}, defaultValue = "10", description = "Measured rounds (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--warmup", defaultValue = "1", description = "Unmeasured rounds first (default ${DEFAULT-VALUE}).")
    int warmup;

    /** Bound on one timed command (a short command that takes longer is reported as a failure). */
    static final long COMMAND_TIMEOUT_S = 120;

    /** One finished run: wall and CPU seconds. */
    record Timing(double wall, double cpu) { }

    @Override public Integer call() throws Exception {
        Path launcher = LauncherPath.get();
        Path dir = org.fallow.abi.fs.MemoryFileStore.createScratchDir("flstart", 64L << 20);
        HypervisorProcess hv = null;
        try {
            Path sock = socket;
            if (sock == null) {
                hv = HypervisorProcess.start(dir.resolve("hv"), List.of("-Xmx256m"), "--host-mem", "64");
                sock = hv.socket();
                for (String name : List.of("a", "b", "c")) {
                    run(List.of(launcher.toString(), "--socket", sock.toString(), "create", "--memory", "8", "--maxmem", "16", "--name", name));
                }
            }
            String l = launcher.toString(), so = sock.toString();
            List<String> bare = List.of(ChildJvm.javaBinary(), "-version");
            // the floors: the same launcher and JVM set-up as list, doing nothing / one connect with the JDK / with JNR
            List<Named> cmds = List.of(
                    new Named("./fallow list", List.of(l, "--socket", so, "list")),
                    new Named("./fallow startup-probe none", List.of(l, "--socket", so, "startup-probe", "none")),
                    new Named("./fallow startup-probe jdk", List.of(l, "--socket", so, "startup-probe", "jdk")),
                    new Named("./fallow startup-probe jnr", List.of(l, "--socket", so, "startup-probe", "jnr")),
                    new Named("java -version", bare));
            System.out.printf("hypervisor socket: %s (three domains)%nB = %s -version%n", sock, bare.get(0));
            System.out.printf("%d warm-up + %d measured rounds, each command once per round in this order; ratios to B of the "
                    + "same round; load average at start: %s%n", warmup, rounds, loadAverage());
            for (int i = 0; i < warmup; i++) for (Named c : cmds) run(c.cmd());
            int k = cmds.size();
            double[][] cpu = new double[k][rounds], wall = new double[k][rounds];
            for (int i = 0; i < rounds; i++) {
                for (int c = 0; c < k; c++) {
                    Timing t = run(cmds.get(c).cmd());
                    cpu[c][i] = t.cpu();
                    wall[c][i] = t.wall();
                }
            }
            int b = k - 1;
            System.out.printf("%-30s %9s %9s %12s %12s   (medians; min-max of the ratios)%n", "command", "cpu s", "wall s", "cpu / B", "wall / B");
            for (int c = 0; c < k; c++) {
                double[] rc = new double[rounds], rw = new double[rounds];
                for (int i = 0; i < rounds; i++) {
                    rc[i] = cpu[c][i] / Math.max(cpu[b][i], 0.001); // times prints milliseconds
                    rw[i] = wall[c][i] / wall[b][i];
                }
                double[] src = sorted(rc), srw = sorted(rw);
                System.out.printf(Locale.ROOT, "%-30s %9.3f %9.3f %11.2fx %11.2fx   (%.1f-%.1f, %.1f-%.1f)%n", cmds.get(c).name(),
                        Median.of(cpu[c]), Median.of(wall[c]), Median.ofSorted(src), Median.ofSorted(srw),
                        src[0], src[rounds - 1], srw[0], srw[rounds - 1]);
            }
            System.out.printf("load average at end: %s%n", loadAverage());
            return 0;
        } finally {
            if (hv != null) hv.close();
            SafeFiles.deleteTree(dir);
        }
    }

    /** A command and the name its row is printed under. */
    record Named(String name, List<String> cmd) { }

    private static double[] sorted(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s;
    }

    /**
     * Runs {@code cmd} with its output discarded under {@code bash -c '"$@"; times'}: bash's second {@code times} line
     * is the user and system time of its children, i.e. of the command and everything it started.
     */
    static Timing run(List<String> cmd) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(List.of("bash", "-c", "\"$@\" >/dev/null 2>&1; rc=$?; times; exit $rc", "startup-bench"));
        full.addAll(cmd);
        long t0 = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(full).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("LC_NUMERIC", "C"); // times prints 0m0.512s, not 0m0,512s
        Process p = pb.start();
        byte[] out = p.getInputStream().readNBytes(4096);
        if (!p.waitFor(COMMAND_TIMEOUT_S, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + ": no exit within " + COMMAND_TIMEOUT_S + " s");
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        if (p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + ": exit " + p.exitValue());
        return new Timing(wall, childrenCpu(new String(out, StandardCharsets.US_ASCII)));
    }

    /** User + system seconds from bash's {@code times} output (second line: the children, e.g. "0m0.512s 0m0.080s"). */
    static double childrenCpu(String times) {
        String[] lines = times.strip().split("\n");
        if (lines.length < 2) throw new IllegalArgumentException("unexpected output of times: " + times);
        double sum = 0;
        for (String f : lines[lines.length - 1].trim().split("\\s+")) {
            int m = f.indexOf('m');
            if (m < 0 || !f.endsWith("s")) throw new IllegalArgumentException("unexpected output of times: " + times);
            sum += Integer.parseInt(f.substring(0, m)) * 60.0 + Double.parseDouble(f.substring(m + 1, f.length() - 1));
        }
        return sum;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
