package org.fallow.cli.bench;

import org.fallow.abi.fs.SafeFiles;
import org.fallow.abi.bench.PageCopyFloor;
import org.fallow.guest.GuestMain;
import org.fallow.abi.process.HypervisorProcess;
import org.fallow.xc.tools.DomainCommands;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code fallow bench pod}: populate-on-demand demand-populate faults/s over the socket. A hypervisor child process;
 * per row the xl-style {@code create --memory M --maxmem 2M} builds a PoD guest (RAM marked populate-on-demand, the
 * PoD cache = the target), then a guest process ({@link GuestMain}: {@code fallow guest --boot-scrub}, the seed-003
 * guest) boots with its start-of-day scrubber zeroing all its RAM on every vcpu: each first touch of a PoD gfn is a
 * MEM_FAULT round trip the hypervisor answers by populating the gfn from the PoD cache (reclaiming zeroed pages when
 * the cache runs dry); then its balloon driver inflates to the target and it runs one workload operation. The guest's
 * statistics give the scrub's pages, faults and wall time; the domain is destroyed after each run.
 * <p>
 * The floor, measured first in the same run ({@link FaultFloor}): per fault one raw Unix-socket round trip of the
 * MEM_FAULT/FAULT_DONE frame sizes to an echo process plus one 4 KiB page copy (the scrubber's write of the page).
 * {@code x floor} = the floor's faults/s / the row's: how many times the floor's cost a fault takes.
 */
@Command(name = "pod", mixinStandardHelpOptions = true,
        description = "PoD demand-populate faults/s over the socket: a guest process (fallow guest --boot-scrub) booting.")
public final class PodBench implements Callable<Integer> {
    @Option(names = "--memory", defaultValue = "16", description = "Guest memory (the PoD target) in MiB (default ${DEFAULT-VALUE}).")
    long memoryMb;

    @Option(names = "--maxmem", description = "Guest maxmem in MiB (default: 2 x --memory).")
    Long maxmemMb;

    @Option(names = "--vcpus", split = ",", defaultValue = "1,2", description = "Guest vcpus (scrubber threads), one row each (default ${DEFAULT-VALUE}).")
    int[] vcpus;

    @Option(names = "--rounds", defaultValue = "2", description = "Guest boots per vcpu count, one row each (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--timeout", defaultValue = "240", description = "Give up on a guest after this many seconds (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--floor-round-trips", defaultValue = "20000",
            description = "Raw UDS round trips per pass of the floor (3 passes, the best kept; default ${DEFAULT-VALUE}).")
    int floorRoundTrips;

    PrintStream out = System.out;

    @Override public Integer call() throws Exception {
        long maxmem = maxmemMb != null ? maxmemMb : 2 * memoryMb;
        if (memoryMb < 1 || maxmem < memoryMb || rounds < 1 || floorRoundTrips < 1)
            throw new IllegalArgumentException("need 1 <= --memory <= --maxmem, --rounds >= 1 and --floor-round-trips >= 1");
        for (int v : vcpus) if (v < 1 || v > 64) throw new IllegalArgumentException("vcpus must be in 1..64, got " + v);
        long hostMib = 64 + 2 * maxmem;
        Path dir = org.fallow.abi.fs.MemoryFileStore.createScratchDir("flb", hostMib << 20);
        try (HypervisorProcess hv = HypervisorProcess.start(dir.resolve("hv"), List.of("-Xmx256m"), "--host-mem", Long.toString(hostMib))) {
            String sock = hv.socket().toString();
            out.printf(Locale.ROOT, "pod bench: --memory %d --maxmem %d --vcpus %s --rounds %d (hypervisor pid %d, --host-mem %d; guest = fallow guest --boot-scrub)%n",
                    memoryMb, maxmem, String.join(",", Arrays.stream(vcpus).mapToObj(Integer::toString).toList()), rounds, hv.pid(), hostMib);
            out.printf(Locale.ROOT, "load at the start %s%n", PageCopyFloor.load());
            FaultFloor.Rates fr = FaultFloor.measure(dir, floorRoundTrips, (int) (maxmem * 256));
            double floor = fr.eventsPerSecond(1, 1);
            out.printf(Locale.ROOT, "floor: 1 raw UDS round trip (%d B -> %d B, echo process) + 1 page copy per fault: %.0f round trips/s, %.0f 4 KiB copies/s%n",
                    FaultFloor.REQUEST_BYTES, FaultFloor.REPLY_BYTES, fr.roundTripsPerSecond(), fr.copiesPerSecond());
            out.printf(Locale.ROOT, "%5s %5s %9s %9s %10s %14s %8s%n", "vcpus", "boot", "scrubbed", "faults", "scrub ms", "faults/s", "x floor");
            out.printf(Locale.ROOT, "%5s %5s %9s %9s %10s %14.0f %8s%n", "floor", "-", "-", "-", "-", floor, "1.00");
            int n = 0;
            for (int v : vcpus) {
                for (int r = 1; r <= rounds; r++) {
                    Map<String, String> created = xl("create", "--socket", sock, "--memory", Long.toString(memoryMb),
                            "--maxmem", Long.toString(maxmem), "--vcpus", Integer.toString(v), "--name", "pod-bench-" + (++n));
                    String domid = created.get("domid");
                    String json = guest(dir, sock, domid, created.get("handle"), v, n);
                    long scrubbed = jsonLong(json, "boot_scrubbed_pages"), faults = jsonLong(json, "boot_scrub_faults"),
                            ms = jsonLong(json, "boot_scrub_ms");
                    double rate = faults * 1000.0 / Math.max(1, ms);
                    out.printf(Locale.ROOT, "%5d %5d %9d %9d %10d %14.0f %8s%n", v, r, scrubbed, faults, ms, rate, FaultFloor.times(floor, rate));
                    xl("destroy", "--socket", sock, domid);
                }
            }
            out.printf(Locale.ROOT, "load at the end %s%n", PageCopyFloor.load());
            return 0;
        } finally {
            SafeFiles.deleteTreeQuietly(dir);
        }
    }

    private static Map<String, String> xl(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int rc = DomainCommands.execute(new PrintStream(o, true), new PrintStream(e, true), args);
        if (rc != 0) throw new IllegalStateException(String.join(" ", args) + " -> " + rc + ": " + e.toString(StandardCharsets.UTF_8));
        return keyValues(o.toString(StandardCharsets.UTF_8));
    }

    static Map<String, String> keyValues(String text) {
        Map<String, String> m = new HashMap<>();
        text.lines().map(String::trim).filter(l -> l.contains(" ")).forEach(l -> m.put(l.substring(0, l.indexOf(' ')), l.substring(l.indexOf(' ') + 1)));
        return m;
    }

    static long jsonLong(String json, String key) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + key + "\": (-?\\d+)").matcher(json);
        if (!m.find()) throw new IllegalStateException("no " + key + " in the guest's statistics: " + json);
        return Long.parseLong(m.group(1));
    }

    /** One guest boot: its statistics JSON (stdout). */
    private String guest(Path dir, String sock, String domid, String handle, int vcpus, int n) throws Exception {
        Path secret = dir.resolve("guest" + n + ".secret"); // never on the command line (docs/SECURITY.md)
        org.fallow.abi.fs.Secrets.writeFile(secret, java.util.HexFormat.of().parseHex(handle));
        List<String> args = new ArrayList<>(List.of("--socket", sock, "--domid", domid, "--secret-file", secret.toString(), "--vcpus", Integer.toString(vcpus),
                "--boot-scrub", "--workload", "anon-grow", "--ops", "1", "--progress-every", "0"));
        String name = "guest" + n;
        Process p = ChildJvm.start(dir, name, true, List.of("-Xmx192m", "-XX:+UseSerialGC"), GuestMain.class.getName(), args.toArray(String[]::new));
        p.getOutputStream().close();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("guest d" + domid + " hung:\n" + ChildJvm.errTail(dir, name));
        }
        String text = Files.readString(dir.resolve(name + ".out"));
        if (p.exitValue() != 0)
            throw new IllegalStateException("guest d" + domid + " exited " + p.exitValue() + ":\n" + text + ChildJvm.errTail(dir, name));
        return text;
    }
}
