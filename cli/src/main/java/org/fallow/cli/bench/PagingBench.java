package org.fallow.cli.bench;

import org.fallow.abi.fs.SafeFiles;
import org.fallow.abi.AbiProfile;
import org.fallow.abi.bench.PageCopyFloor;
import org.fallow.guest.paging.PagingGuestMain;
import org.fallow.xc.XcDomain;
import org.fallow.xc.XcHandle;
import org.fallow.xc.XcMemPaging;
import org.fallow.abi.process.HypervisorProcess;
import org.fallow.xc.xenpaging.InProcessPagingHost;
import org.fallow.xc.xenpaging.XenPaging;
import org.fallow.xc.xenpaging.XenPagingCommand;
import org.fallow.xc.xenpaging.XenPagingOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import static org.fallow.abi.xen.HvmOpConstants.HVM_PARAM_PAGING_RING_PFN;

/**
 * {@code fallow bench paging}: page-ins/s, where a page-in is one guest fault on a paged-out gfn (fault → request on
 * the vm_event ring → xenpaging reads the pagefile slot and preps the gfn → response → the access is retried), while
 * xenpaging keeps evicting to hold the domain at its target.
 * <ul>
 * <li>{@code in-process}: one JVM: a HypervisorCore with the paging subsystem, xenpaging on a thread, and vcpu
 * threads touching every page once ({@link InProcessPagingHost}).</li>
 * <li>{@code wire}: the hypervisor, the guest ({@link PagingGuestMain}: one connection and GuestMemory accessor per
 * vcpu, each verifying and rewriting every page it owns) and xenpaging as three processes over the Unix socket.</li>
 * <li>bulk page-ins by xenpaging itself, a raised target and SIGTERM, in-process and over the wire, alternating
 * over several pairs ({@link BulkPageIn}).</li>
 * </ul>
 * Floors, measured first in the same run ({@link FaultFloor}): a page-in held at the target moves two pages (the
 * faulting page read in, a victim written out), so the in-process floor is two 4 KiB copies per page-in; a bulk
 * page-in (target raised, SIGTERM) moves one, so its floor is one copy (+ 1/64 of a raw round trip over the wire: one
 * multicall per 64 preps, the pages in the shared hypercall buffer); over the wire each fault page-in also needs at least
 * the guest's fault round trip, so the wire floor is one raw Unix-socket round trip (to an echo process) plus two
 * copies. {@code x floor} = the floor's page-ins/s / the row's: how many times the floor's cost a page-in takes.
 */
@Command(name = "paging", mixinStandardHelpOptions = true,
        description = "Page-ins/s through xenpaging: in-process, and over the wire with separate processes.")
public final class PagingBench implements Callable<Integer> {
    public enum Mode { both, in_process, wire }

    @Option(names = "--mode", defaultValue = "both", description = "both, in_process or wire (default ${DEFAULT-VALUE}).")
    Mode mode;

    @Option(names = "--frames", defaultValue = "8192", description = "Guest RAM in 4 KiB frames (default ${DEFAULT-VALUE} = 32 MiB).")
    int frames;

    @Option(names = "--actmem-div", defaultValue = "4", description = "Paging target = frames / this (default ${DEFAULT-VALUE}).")
    int actmemDiv;

    @Option(names = "--vcpus", split = ",", defaultValue = "1,4", description = "In-process vcpu threads, one row each (default ${DEFAULT-VALUE}).")
    int[] vcpus;

    @Option(names = "--wire-vcpus", defaultValue = "4", description = "Guest vcpus (connections) over the wire (default ${DEFAULT-VALUE}).")
    int wireVcpus;

    @Option(names = "--rounds", defaultValue = "3", description = "Wire passes over all guest memory, one row each (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--timeout", defaultValue = "300", description = "Give up after this many seconds waiting for the pager (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--floor-round-trips", defaultValue = "20000",
            description = "Raw UDS round trips per pass of the wire floor (3 passes, the best kept; default ${DEFAULT-VALUE}).")
    int floorRoundTrips;

    @Option(names = "--bulk-frames", defaultValue = "131072",
            description = "Guest RAM in frames of the in-process bulk page-in rows (target-raise, SIGTERM; paged down to it / --actmem-div; default ${DEFAULT-VALUE} = 512 MiB).")
    int bulkFrames;

    @Option(names = "--wire-bulk-frames", defaultValue = "65536",
            description = "Guest RAM in frames of the bulk page-in rows over the wire (default ${DEFAULT-VALUE} = 256 MiB).")
    int wireBulkFrames;

    @Option(names = "--bulk-pairs", defaultValue = "5",
            description = "Alternating target-raise + SIGTERM page-in pairs per path (0: no bulk rows; default ${DEFAULT-VALUE}).")
    int bulkPairs;

    PrintStream out = System.out;

    private double floor2, floor1, floorWire; // page-ins/s: 2 copies, 1 copy, 1 round trip + 2 copies
    private double roundTrips; // raw UDS round trips/s (0 in_process)

    @Override public Integer call() throws Exception {
        if (frames < 64 || actmemDiv < 2 || rounds < 1 || wireVcpus < 1 || floorRoundTrips < 1 || bulkPairs < 0
                || !wholeMib(bulkFrames) || !wholeMib(wireBulkFrames))
            throw new IllegalArgumentException("need --frames >= 64, --actmem-div >= 2, --rounds >= 1, --wire-vcpus >= 1, --floor-round-trips >= 1,"
                    + " --bulk-pairs >= 0, --bulk-frames and --wire-bulk-frames in 256..4194304 with frames / --actmem-div a whole MiB (256 frames)");
        for (int v : vcpus) if (v < 1 || v > 64) throw new IllegalArgumentException("vcpus must be in 1..64, got " + v);
        long target = frames / actmemDiv;
        out.printf(Locale.ROOT, "paging bench: --mode %s --frames %d (%d MiB) --actmem-div %d (target %d pages) --vcpus %s --wire-vcpus %d --rounds %d"
                        + " --bulk-frames %d --wire-bulk-frames %d --bulk-pairs %d%n",
                mode, frames, frames / 256, actmemDiv, target, String.join(",", java.util.Arrays.stream(vcpus).mapToObj(Integer::toString).toList()),
                wireVcpus, rounds, bulkFrames, wireBulkFrames, bulkPairs);
        out.printf(Locale.ROOT, "load at the start %s%n", PageCopyFloor.load());
        floors();
        if (mode != Mode.wire) inProcess(target);
        if (mode != Mode.in_process) wire(target);
        if (bulkPairs > 0) bulk();
        out.printf(Locale.ROOT, "load at the end %s%n", PageCopyFloor.load());
        return 0;
    }

    /** Measures the floors and prints the table's header and floor rows. */
    private void floors() throws Exception {
        FaultFloor.Rates fr;
        if (mode == Mode.in_process) {
            fr = new FaultFloor.Rates(0, 2 * PageCopyFloor.pagesPerSecond(frames));
        } else {
            Path dir = org.fallow.abi.fs.MemoryFileStore.createScratchDir("flb", frames * 4096L);
            try {
                fr = FaultFloor.measure(dir, floorRoundTrips, frames);
            } finally {
                SafeFiles.deleteTreeQuietly(dir);
            }
        }
        roundTrips = fr.roundTripsPerSecond();
        floor2 = fr.eventsPerSecond(0, 2);
        floor1 = fr.eventsPerSecond(0, 1);
        out.printf(Locale.ROOT, "floors: %.0f 4 KiB copies/s%s%n", fr.copiesPerSecond(), mode == Mode.in_process ? ""
                : String.format(Locale.ROOT, ", %.0f raw UDS round trips/s (%d B -> %d B, echo process)", fr.roundTripsPerSecond(),
                        FaultFloor.REQUEST_BYTES, FaultFloor.REPLY_BYTES));
        out.printf(Locale.ROOT, "%-11s %5s %6s %9s %8s %12s %8s%n", "path", "vcpus", "pass", "page-ins", "seconds", "page-ins/s", "x floor");
        floorRow("2 copies", floor2);
        floorRow("1 copy", floor1);
        if (mode != Mode.in_process) {
            floorWire = fr.eventsPerSecond(1, 2);
            floorRow("UDS RTT + 2 copies", floorWire);
        }
    }

    /**
     * The bulk page-in rows ({@link BulkPageIn}) with their floors: one 4 KiB copy per page-in, timed through a store
     * of {@code --bulk-frames} pages; over the wire also 1/64 of a raw UDS round trip (xenpaging preps 64 pages per
     * multicall, the pages themselves travel through the shared hypercall buffer, not the socket).
     */
    private void bulk() throws Exception {
        if (mode != Mode.wire) bulk(false, bulkFrames);
        if (mode != Mode.in_process) bulk(true, wireBulkFrames);
    }

    private void bulk(boolean overWire, int bulk) throws Exception {
        double copy = 2 * org.fallow.abi.bench.PageCopyFloor.pagesPerSecond(bulk);
        double floor = overWire ? 1.0 / (1.0 / copy + 1.0 / (roundTrips * XenPaging.PAGEIN_BATCH)) : copy;
        out.printf(Locale.ROOT, "bulk page-in %s: %d frames (%d MiB) paged down to %d, then all paged in by xenpaging (no guest faults); a warm-up pair,"
                + " then %d pairs of target-raise and SIGTERM, each from a fresh pager that paged the resident domain down%n",
                overWire ? "over the wire" : "in-process", bulk, bulk / 256, bulk / actmemDiv, bulkPairs);
        out.printf(Locale.ROOT, "bulk floor: %.0f 4 KiB copies/s (%d-page store)%s: %.0f page-ins/s%n", copy, bulk,
                overWire ? String.format(Locale.ROOT, " + 1/%d of a raw UDS round trip (%.0f/s)", XenPaging.PAGEIN_BATCH, roundTrips) : "", floor);
        BulkPageIn.header(out);
        BulkPageIn b = new BulkPageIn(out, bulk, actmemDiv, bulkPairs, timeoutSeconds);
        if (overWire) b.wire(floor);
        else b.inProcess(floor);
    }

    private boolean wholeMib(int bulk) { return bulk >= 256 && bulk <= (1 << 22) && (bulk / actmemDiv) % 256 == 0; }

    private void floorRow(String what, double perSecond) {
        out.printf(Locale.ROOT, "%-11s %-19s %9s %8s %12.0f %8s%n", "floor", what, "-", "-", perSecond, "1.00");
    }

    private void row(String path, int vcpus, int pass, long faults, double secs, double floor) {
        out.printf(Locale.ROOT, "%-11s %5d %6d %9d %8.2f %12.0f %8s%n", path, vcpus, pass, faults, secs, faults / secs, FaultFloor.times(floor, faults / secs));
    }

    private void inProcess(long target) throws Exception {
        Path dir = org.fallow.abi.fs.MemoryFileStore.createScratchDir("flb", 2 * frames * 4096L); // frames and page file
        int maxVcpus = java.util.Arrays.stream(vcpus).max().orElse(1);
        InProcessPagingHost hv = new InProcessPagingHost(dir, frames, maxVcpus, frames - 1);
        try {
            hv.xsWrite("/local/domain/" + InProcessPagingHost.DOMID + "/memory/target-tot_pages", String.valueOf(target * 4));
            XenPaging pager = new XenPaging(hv.newPagerConnection(),
                    new XenPagingOptions(InProcessPagingHost.DOMID, dir.resolve("pf"), 0, 64, false));
            Thread t = new Thread(pager::run, "xenpaging");
            t.setDaemon(true);
            t.start();
            awaitPages(hv::totPages, target + 8, t);
            int pass = 0;
            for (int n : vcpus) {
                Thread[] ts = new Thread[n];
                long[] faults = new long[n];
                Throwable[] failed = new Throwable[1];
                long t0 = System.nanoTime();
                for (int v = 0; v < n; v++) {
                    int id = v;
                    ts[v] = new Thread(() -> {
                        InProcessPagingHost.Vcpu c = hv.new Vcpu(id);
                        for (long g = 1 + id; g < frames - 1; g += n) c.access(g, false, p -> {});
                        faults[id] = c.faults;
                    }, "vcpu" + v);
                    ts[v].setUncaughtExceptionHandler((th, e) -> failed[0] = e);
                    ts[v].start();
                }
                long total = 0;
                for (int v = 0; v < n; v++) { ts[v].join(); total += faults[v]; }
                if (failed[0] != null) throw new IllegalStateException("vcpu failed", failed[0]);
                row("in-process", n, ++pass, total, (System.nanoTime() - t0) / 1e9, floor2);
                awaitPages(hv::totPages, target + 8, t); // back at the target before the next row
            }
            pager.requestShutdown(); // (untimed) the bulk page-in rows (BulkPageIn) time SIGTERM and a raised target with their own pagers
            t.join(TimeUnit.SECONDS.toMillis(timeoutSeconds));
        } finally {
            hv.close();
            SafeFiles.deleteTreeQuietly(dir);
        }
    }

    private interface Pages { long get() throws Exception; }

    private void awaitPages(Pages tot, long atMost, Thread pagerThread) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (tot.get() > atMost) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("tot_pages still " + tot.get() + " > " + atMost + " after " + timeoutSeconds + " s");
            if (pagerThread != null && !pagerThread.isAlive()) throw new IllegalStateException("xenpaging stopped");
            Thread.sleep(10);
        }
    }

    private void wire(long target) throws Exception {
        Path dir = org.fallow.abi.fs.MemoryFileStore.createScratchDir("flb", 2 * frames * 4096L); // frames and page file
        byte[] handle = new byte[16];
        new SplittableRandom().nextBytes(handle);
        Process guest = null, pager = null;
        long hostMib = 64 + frames / 128;
        try (HypervisorProcess hv = HypervisorProcess.start(dir.resolve("hv"), List.of("-Xmx256m"), "--host-mem", Long.toString(hostMib));
             XcHandle xc = XcHandle.open(hv.socket(), AbiProfile.XEN_4_12)) {
            XcDomain dom = new XcDomain(xc);
            long d = dom.xc_domain_create_hvm(handle, wireVcpus);
            if (d < 0) throw new IllegalStateException("createdomain -> " + d);
            int domid = (int) d;
            check("max_mem", dom.xc_domain_setmaxmem(domid, (frames + 1) * 4L));
            long[] gfns = new long[frames + 1];
            for (int i = 0; i <= frames; i++) gfns[i] = i;
            check("populate", dom.xc_domain_populate_physmap_exact(domid, 0, 0, gfns));
            check("ring param", new XcMemPaging(xc).xc_hvm_param_set(domid, HVM_PARAM_PAGING_RING_PFN, frames));
            check("unpause", dom.xc_domain_unpause(domid));
            List<String> jvm = List.of("-Xmx192m", "-XX:+UseSerialGC");
            guest = ChildJvm.start(dir, "guest", false, java.util.Map.of(org.fallow.abi.fs.Secrets.ENV, HexFormat.of().formatHex(handle)),
                    jvm, PagingGuestMain.class.getName(), hv.socket().toString(),
                    Integer.toString(domid), Integer.toString(frames), Integer.toString(wireVcpus));
            PrintWriter in = new PrintWriter(guest.getOutputStream());
            BufferedReader answers = new BufferedReader(new InputStreamReader(guest.getInputStream()));
            ask(in, answers, "init", dir);
            xc.xenstore().write("/local/domain/" + domid + "/memory/target-tot_pages", String.valueOf(target * 4));
            pager = ChildJvm.start(dir, "xenpaging", jvm, XenPagingCommand.class.getName(), "-d", Integer.toString(domid),
                    "-f", dir.resolve("pf").toString(), "-r", "256", "--socket", hv.socket().toString());
            pager.getOutputStream().close();
            Process p = pager;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            while (dom.info(domid).totPages() > target) {
                if (!p.isAlive()) throw new IllegalStateException("xenpaging exited " + p.exitValue() + ":\n" + ChildJvm.errTail(dir, "xenpaging"));
                if (System.nanoTime() > deadline) throw new IllegalStateException("the pager did not reach the target in " + timeoutSeconds + " s");
                Thread.sleep(20);
            }
            for (int r = 1; r <= rounds; r++) {
                long t0 = System.nanoTime();
                long faults = ask(in, answers, "pass 1", dir);
                row("wire", wireVcpus, r, faults, (System.nanoTime() - t0) / 1e9, floorWire);
            }
            in.println("quit");
            in.flush();
            guest.waitFor(10, TimeUnit.SECONDS);
        } finally {
            for (Process p : new Process[] {guest, pager}) if (p != null) { p.destroyForcibly(); p.waitFor(10, TimeUnit.SECONDS); }
            SafeFiles.deleteTreeQuietly(dir);
        }
    }

    private static long ask(PrintWriter in, BufferedReader answers, String cmd, Path dir) throws IOException {
        in.println(cmd);
        in.flush();
        String r = answers.readLine();
        if (r == null || !r.startsWith("ok ")) throw new IllegalStateException("guest answered " + r + " to " + cmd + ":\n" + ChildJvm.errTail(dir, "guest"));
        return Long.parseLong(r.substring(3).trim());
    }

    private static void check(String what, long rc) {
        if (rc != 0) throw new IllegalStateException(what + " -> " + rc);
    }
}
