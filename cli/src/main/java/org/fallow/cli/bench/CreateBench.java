package org.fallow.cli.bench;

import org.fallow.abi.fs.SafeFiles;
import org.fallow.abi.bench.Median;
import org.fallow.abi.process.HypervisorProcess;
import org.fallow.xc.tools.DomainCommands;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
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
 * {@code fallow bench create}: the cost of building a populate-on-demand domain as its maxmem grows. A hypervisor child
 * process; each round runs, for every {@code --maxmem} size in turn, the xl-style
 * {@code create --memory M --maxmem X} (createdomain, max_mem, xc_hvm_build_target_mem: RAM below the VGA hole, the
 * rest marked PoD, the PoD target set, unpause) in this JVM against it, timed end to end, then destroys the domain.
 * The first round warms up and is not counted. Prints, per size, the median and best create time, the median as a
 * ratio to the smallest size's median (the floor of the same run), and the storage the p2m file holds after the
 * create (st_blocks); the load average is printed before and after.
 */
@Command(name = "create", mixinStandardHelpOptions = true,
        description = "PoD domain build time vs maxmem (create --memory M --maxmem 1/4/16/64 GiB), as ratios to the smallest.")
public final class CreateBench implements Callable<Integer> {
    @Option(names = "--memory", defaultValue = "256", description = "Guest memory (the PoD target) in MiB (default ${DEFAULT-VALUE}).")
    long memoryMb;

    @Option(names = "--maxmem", split = ",", defaultValue = "1024,4096,16384,65536",
            description = "Guest maxmem sizes in MiB, the first is the floor (default ${DEFAULT-VALUE}).")
    long[] maxmemMb;

    @Option(names = "--rounds", defaultValue = "7", description = "Counted rounds (after one warm-up round; default ${DEFAULT-VALUE}).")
    int rounds;

    PrintStream out = System.out;

    @Override public Integer call() throws Exception {
        if (memoryMb < 1 || rounds < 1 || maxmemMb.length == 0) throw new IllegalArgumentException("need --memory >= 1, --rounds >= 1 and a --maxmem");
        for (long m : maxmemMb)
            if (m < memoryMb || m > 65536) throw new IllegalArgumentException("--maxmem " + m + " must be in [--memory, 65536] MiB");
        long hostMib = 64 + 2 * memoryMb;
        Path dir = org.fallow.abi.fs.MemoryFileStore.createScratchDir("flb", hostMib << 20);
        try (HypervisorProcess hv = HypervisorProcess.start(dir.resolve("hv"), List.of("-Xmx256m"), "--host-mem", Long.toString(hostMib))) {
            String sock = hv.socket().toString();
            out.printf(Locale.ROOT, "create bench: --memory %d --maxmem %s --rounds %d + 1 warm-up (hypervisor pid %d, --host-mem %d); load %s%n",
                    memoryMb, String.join(",", Arrays.stream(maxmemMb).mapToObj(Long::toString).toList()), rounds, hv.pid(), hostMib, load());
            long[][] ns = new long[maxmemMb.length][rounds];
            long[] p2mKib = new long[maxmemMb.length];
            for (int r = -1; r < rounds; r++) {
                for (int i = 0; i < maxmemMb.length; i++) {
                    long t0 = System.nanoTime();
                    String domid = create(sock, maxmemMb[i]);
                    long t = System.nanoTime() - t0;
                    if (r >= 0) ns[i][r] = t;
                    p2mKib[i] = allocatedKib(hv.runDir().resolve("dom" + domid + ".p2m"));
                    xl("destroy", "--socket", sock, domid);
                }
            }
            out.printf(Locale.ROOT, "%10s %12s %10s %14s %14s%n", "maxmem MiB", "median ms", "best ms", "ratio to first", "p2m stored KiB");
            double floor = median(ns[0]);
            for (int i = 0; i < maxmemMb.length; i++) {
                double med = median(ns[i]);
                out.printf(Locale.ROOT, "%10d %12.2f %10.2f %14.2f %14d%n", maxmemMb[i], med / 1e6, Arrays.stream(ns[i]).min().orElse(0) / 1e6,
                        med / floor, p2mKib[i]);
            }
            out.printf(Locale.ROOT, "load after: %s%n", load());
            return 0;
        } finally {
            SafeFiles.deleteTreeQuietly(dir);
        }
    }

    private String create(String sock, long maxmem) {
        String text = xl("create", "--socket", sock, "--memory", Long.toString(memoryMb), "--maxmem", Long.toString(maxmem));
        return text.lines().map(String::trim).filter(l -> l.startsWith("domid ")).map(l -> l.substring(6)).findFirst()
                .orElseThrow(() -> new IllegalStateException("create printed no domid: " + text));
    }

    private static String xl(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int rc = DomainCommands.execute(new PrintStream(o, true), new PrintStream(e, true), args);
        if (rc != 0) throw new IllegalStateException(String.join(" ", args) + " -> " + rc + ": " + e.toString(StandardCharsets.UTF_8));
        return o.toString(StandardCharsets.UTF_8);
    }

    static double median(long[] v) { return Median.of(Arrays.stream(v).asDoubleStream().toArray()); }

    /** Storage the file holds (st_blocks x 512), in KiB, from stat(1); -1 if unknown. */
    private static long allocatedKib(Path file) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).redirectErrorStream(true).start();
        String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) return -1;
        String[] f = s.split(" ");
        return Long.parseLong(f[0]) * Long.parseLong(f[1]) / 1024;
    }

    private static String load() {
        try {
            List<String> f = new ArrayList<>(Arrays.asList(Files.readString(Path.of("/proc/loadavg")).trim().split(" ")));
            return String.join(" ", f.subList(0, 3));
        } catch (IOException e) {
            return "unknown";
        }
    }
}
