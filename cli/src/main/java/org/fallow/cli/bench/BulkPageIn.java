package org.fallow.cli.bench;

import org.fallow.abi.bench.Median;
import org.fallow.abi.AbiProfile;
import org.fallow.abi.fs.SafeFiles;
import org.fallow.abi.process.HypervisorProcess;
import org.fallow.abi.wire.P2mHeader;
import org.fallow.abi.xen.P2mType;
import org.fallow.hypervisor.core.Scheduler;
import org.fallow.xc.XcDomain;
import org.fallow.xc.XcHandle;
import org.fallow.xc.XcMemPaging;
import org.fallow.xc.tools.PagingCommands;
import org.fallow.xc.xenpaging.InProcessPagingHost;
import org.fallow.xc.xenpaging.VictimPolicy;
import org.fallow.xc.xenpaging.XenPaging;
import org.fallow.xc.xenpaging.XenPagingCommand;
import org.fallow.xc.xenpaging.XenPagingOptions;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.fallow.abi.xen.HvmOpConstants.HVM_PARAM_PAGING_RING_PFN;

/**
 * The bulk page-in rows of {@code bench paging}: xenpaging paging a domain back in by itself (no guest faults), once
 * because its target was raised to all of memory and once on SIGTERM (page everything in, disable paging, exit).
 * Each measurement starts from the same state: a fresh pager pages the fully resident domain down to the target, then
 * the clock starts. The two kinds alternate (target-raise, SIGTERM, target-raise, SIGTERM, ...) so that a busy
 * machine's slow spell falls on both; each row reports its median and min-max, and every pair its SIGTERM /
 * target-raise rate ratio.
 * <ul>
 * <li>{@code in-process}: {@link InProcessPagingHost} with xenpaging on a thread; the target is raised by writing the
 * xenstore key, SIGTERM is {@link XenPaging#requestShutdown} (what the signal handler calls).</li>
 * <li>{@code wire}: a hypervisor process and the real {@code xenpaging} process ({@link XenPagingCommand}); the target
 * is raised with the toolstack's {@code mem-swap-target} command (run in this JVM against the socket), SIGTERM is
 * sent to the pager's pid ({@link Process#destroy}). Done = no gfn is paged in the hypervisor's shared p2m view
 * (read every {@value #WIRE_POLL_MS} ms: no hypercall, so the hypervisor sees only the pager's requests, as when a
 * user runs it; getdomaininfo's paged_pages is checked to be 0 after); the SIGTERM row also gives the time until the
 * process has exited.</li>
 * </ul>
 */
final class BulkPageIn {
    static final long WIRE_POLL_MS = 5;
    private static final List<String> PAGER_JVM = List.of("-Xmx192m", "-XX:+UseSerialGC");

    /**
     * One measurement: {@code pages} paged in in {@code seconds} (wall); {@code exitSeconds} until the pager had exited
     * (SIGTERM); {@code downSeconds} the untimed page-down before it; {@code cpuSeconds} the CPU the pager and the
     * hypervisor used meanwhile (NaN when unknown), which a busy machine's waiting for a core does not inflate.
     */
    record Sample(long pages, double seconds, double exitSeconds, double downSeconds, double cpuSeconds) {
        double rate() { return pages / seconds; }

        double cpuMicrosPerPage() { return cpuSeconds * 1e6 / pages; }
    }

    private final PrintStream out;
    private final int frames, pairs, timeoutSeconds;
    private final long target;

    BulkPageIn(PrintStream out, int frames, int actmemDiv, int pairs, int timeoutSeconds) {
        this.out = out;
        this.frames = frames;
        this.target = frames / actmemDiv;
        this.pairs = pairs;
        this.timeoutSeconds = timeoutSeconds;
    }

    static void header(PrintStream out) {
        out.printf(Locale.ROOT, "%-11s %-13s %4s %9s %8s %12s %8s %7s %7s %9s%n", "path", "bulk row", "pair", "page-ins", "seconds", "page-ins/s", "x floor", "exit s",
                "down s", "cpu us/pg");
    }

    // ---- in-process ------------------------------------------------------------------------------------------------

    void inProcess(double floor) throws Exception {
        Path dir = org.fallow.abi.fs.MemoryFileStore.createScratchDir("flb", 2 * frames * 4096L); // frames and page file
        InProcessPagingHost hv = new InProcessPagingHost(dir, frames, 1, frames - 1);
        try {
            Sample[][] s = new Sample[2][pairs];
            for (int p = 0; p <= pairs; p++) { // pair 0 warms up (JIT of the page-in paths), unmeasured
                for (int k = 0; k < 2; k++) {
                    Sample one = inProcessOnce(hv, dir, k == 1);
                    row("in-process", k, p, one, floor);
                    if (p > 0) s[k][p - 1] = one;
                }
            }
            summary("in-process", s, floor);
        } finally {
            hv.close();
            SafeFiles.deleteTreeQuietly(dir);
        }
    }

    private Sample inProcessOnce(InProcessPagingHost hv, Path dir, boolean sigterm) throws Exception {
        String key = PagingCommands.targetKey(InProcessPagingHost.DOMID);
        hv.xsWrite(key, String.valueOf(target * 4));
        XenPaging pager = new XenPaging(hv.newPagerConnection(),
                new XenPagingOptions(InProcessPagingHost.DOMID, dir.resolve("pf"), 0, VictimPolicy.DEFAULT_MRU_SIZE, false));
        int[] exit = {-1};
        Thread t = new Thread(() -> exit[0] = pager.run(), "xenpaging");
        t.setDaemon(true);
        t.start();
        long start = System.nanoTime(), deadline = deadline();
        while (hv.totPages() > target) pause(10, deadline, t.isAlive(), "paging down to " + target);
        double down = (System.nanoTime() - start) / 1e9;
        long n = pager.numPagedOut();
        long cpu0 = processCpuNanos(), t0 = System.nanoTime();
        if (sigterm) pager.requestShutdown();
        else hv.xsWrite(key, String.valueOf((long) frames * 4));
        deadline = deadline();
        while (pager.numPagedOut() > 0) pause(1, deadline, t.isAlive() || sigterm, "paging in");
        double secs = (System.nanoTime() - t0) / 1e9, cpu = (processCpuNanos() - cpu0) / 1e9;
        if (!sigterm) pager.requestShutdown(); // nothing is out: it exits at once
        t.join(TimeUnit.SECONDS.toMillis(timeoutSeconds));
        double exitSecs = (System.nanoTime() - t0) / 1e9;
        if (t.isAlive() || exit[0] != 0) throw new IllegalStateException("xenpaging did not exit 0 (alive " + t.isAlive() + ", exit " + exit[0] + ")");
        return new Sample(n, secs, exitSecs, down, cpu);
    }

    /** This JVM's CPU time (the pager's and the in-process hypervisor's threads; the bench's own thread sleeps). */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** A process's CPU time so far (user + system, from /proc: clock-tick resolution), or -1 once it is gone. */
    private static long cpuNanos(long pid) {
        return ProcessHandle.of(pid).flatMap(h -> h.info().totalCpuDuration()).map(java.time.Duration::toNanos).orElse(-1L);
    }

    // ---- over the wire ---------------------------------------------------------------------------------------------

    void wire(double floor) throws Exception {
        Path dir = org.fallow.abi.fs.MemoryFileStore.createScratchDir("flb", 2 * frames * 4096L); // frames and page file
        byte[] handle = new byte[16];
        new SplittableRandom().nextBytes(handle);
        long hostMib = 64 + frames / 128;
        try (HypervisorProcess hv = HypervisorProcess.start(dir.resolve("hv"), List.of("-Xmx256m"), "--host-mem", Long.toString(hostMib));
             XcHandle xc = XcHandle.open(hv.socket(), AbiProfile.XEN_4_12)) {
            XcDomain dom = new XcDomain(xc);
            int domid = createDomain(xc, dom, handle);
            MemorySegment p2m;
            try (FileChannel ch = SafeFiles.openExisting(hv.runDir().resolve("dom" + domid + ".p2m"), false)) {
                p2m = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), Arena.ofAuto());
            }
            Sample[][] s = new Sample[2][pairs];
            for (int p = 0; p <= pairs; p++) { // pair 0 warms up (the hypervisor's JIT, mem-swap-target's first run), unmeasured
                for (int k = 0; k < 2; k++) {
                    Sample one = wireOnce(dir, hv.socket(), hv.pid(), p2m, xc, dom, domid, k == 1, 2 * p + k);
                    row("wire", k, p, one, floor);
                    if (p > 0) s[k][p - 1] = one;
                }
            }
            summary("wire", s, floor);
        } finally {
            SafeFiles.deleteTreeQuietly(dir);
        }
    }

    /** An HVM domain with {@code frames} RAM frames (+ the ring gfn after them), populated and running. */
    private int createDomain(XcHandle xc, XcDomain dom, byte[] handle) throws IOException {
        long d = dom.xc_domain_create_hvm(handle, 1);
        if (d < 0) throw new IllegalStateException("createdomain -> " + d);
        int domid = (int) d;
        check("max_mem", dom.xc_domain_setmaxmem(domid, (frames + 1) * 4L));
        for (long g = 0; g <= frames; g += 4096) {
            long[] gfns = new long[(int) Math.min(4096, frames + 1 - g)];
            for (int i = 0; i < gfns.length; i++) gfns[i] = g + i;
            check("populate", dom.xc_domain_populate_physmap_exact(domid, 0, 0, gfns));
        }
        check("ring param", new XcMemPaging(xc).xc_hvm_param_set(domid, HVM_PARAM_PAGING_RING_PFN, frames));
        check("unpause", dom.xc_domain_unpause(domid));
        return domid;
    }

    private Sample wireOnce(Path dir, Path socket, long hvPid, MemorySegment p2m, XcHandle xc, XcDomain dom, int domid, boolean sigterm, int i) throws Exception {
        xc.xenstore().write(PagingCommands.targetKey(domid), String.valueOf(target * 4));
        String name = "xenpaging-" + i;
        Process pager = ChildJvm.start(dir, name, PAGER_JVM, XenPagingCommand.class.getName(), "-d", Integer.toString(domid),
                "-f", dir.resolve("pf").toString(), "--socket", socket.toString());
        try {
            pager.getOutputStream().close();
            long start = System.nanoTime(), deadline = deadline();
            // watched in the p2m view, not by getdomaininfo: requests from this connection would make the hypervisor
            // "contended" (Scheduler) and pace the pager's nominate/evict multicalls
            while (countPaged(p2m) < frames - target) pause(20, deadline, pager.isAlive(), "paging down to " + target + "\n" + ChildJvm.errTail(dir, name));
            double down = (System.nanoTime() - start) / 1e9;
            XcDomain.DomainInfo down0 = dom.info(domid);
            if (down0.totPages() > target) throw new IllegalStateException("tot_pages " + down0.totPages() + " > target " + target + " with " + down0.pagedPages() + " paged");
            long n = down0.pagedPages();
            // this connection's last request must not make the timed page-in "contended" (Scheduler: two connections'
            // requests within its window): the pager is the hypervisor's only client from here on, as for a user
            Thread.sleep(Scheduler.CONTENDED_WINDOW_NANOS / 1_000_000 + 50);
            long cpu0 = cpuNanos(pager.pid()) + cpuNanos(hvPid), t0 = System.nanoTime();
            if (sigterm) pager.destroy(); // SIGTERM
            else memSwapTarget(socket, domid, (frames + 1 + 255) / 256); // MiB: all of memory
            deadline = deadline();
            int cursor = 0;
            while ((cursor = firstPaged(p2m, cursor)) < frames) {
                // a SIGTERMed pager exits once all is in: only an exit with pages still out is a failure
                boolean alive = pager.isAlive() || firstPaged(p2m, cursor) >= frames;
                pause(WIRE_POLL_MS, deadline, alive, "paging in\n" + ChildJvm.errTail(dir, name));
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            long pagerCpu = cpuNanos(pager.pid()), hvCpu = cpuNanos(hvPid); // a SIGTERMed pager may have exited already
            double cpu = pagerCpu < 0 || hvCpu < 0 ? Double.NaN : (pagerCpu + hvCpu - cpu0) / 1e9;
            long left = dom.info(domid).pagedPages();
            if (left != 0) throw new IllegalStateException("the p2m view shows every gfn in, getdomaininfo " + left + " paged");
            if (!sigterm) pager.destroy(); // nothing is out: it exits at once
            if (!pager.waitFor(timeoutSeconds, TimeUnit.SECONDS)) throw new IllegalStateException("xenpaging still runs " + timeoutSeconds + " s after SIGTERM");
            double exitSecs = (System.nanoTime() - t0) / 1e9;
            if (pager.exitValue() != 0) throw new IllegalStateException("xenpaging exited " + pager.exitValue() + ":\n" + ChildJvm.errTail(dir, name));
            return new Sample(n, secs, exitSecs, down, cpu);
        } finally {
            if (pager.isAlive()) pager.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * The first gfn at or after {@code from} that is paged out (or on its way out or in) in the hypervisor's shared p2m
     * view (PROTOCOL §3.3), or {@code frames}. Nothing pages out while the pager pages everything in, so a gfn passed
     * once stays passed: the scans of one page-in read each entry about once.
     */
    private int firstPaged(MemorySegment p2m, int from) {
        int g = from;
        while (g < frames) {
            int t = P2mHeader.typeAt(p2m, g);
            if (t == P2mType.P2M_RAM_PAGED || t == P2mType.P2M_RAM_PAGING_OUT || t == P2mType.P2M_RAM_PAGING_IN) break;
            g++;
        }
        return g;
    }

    /** How many gfns are paged out (evicted) in the shared p2m view. */
    private int countPaged(MemorySegment p2m) {
        int n = 0;
        for (int g = 0; g < frames; g++) if (P2mHeader.typeAt(p2m, g) == P2mType.P2M_RAM_PAGED) n++;
        return n;
    }

    /** {@code fallow mem-swap-target DOMID MB} (the toolstack's command, in this JVM); its one line of output is checked, not printed. */
    private static void memSwapTarget(Path socket, int domid, long mib) {
        PrintStream stdout = System.out;
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        int rc;
        synchronized (System.class) {
            System.setOut(new PrintStream(said, true, StandardCharsets.UTF_8));
            try {
                rc = new CommandLine(new PagingCommands.MemSwapTarget()).execute("--socket", socket.toString(), Integer.toString(domid), Long.toString(mib));
            } finally {
                System.setOut(stdout);
            }
        }
        String text = said.toString(StandardCharsets.UTF_8);
        if (rc != 0 || !text.contains("paging target " + mib + " MB")) throw new IllegalStateException("mem-swap-target exited " + rc + ": " + text);
    }

    // ---- output ----------------------------------------------------------------------------------------------------

    private static final String[] ROW = {"target-raise", "SIGTERM"};

    private void row(String path, int kind, int pair, Sample s, double floor) {
        out.printf(Locale.ROOT, "%-11s %-13s %4s %9d %8.2f %12.0f %8s %7s %7.2f %9s%n", path, ROW[kind], pair == 0 ? "w" : Integer.toString(pair), s.pages(), s.seconds(), s.rate(),
                FaultFloor.times(floor, s.rate()), kind == 1 ? String.format(Locale.ROOT, "%.2f", s.exitSeconds()) : "-", s.downSeconds(),
                Double.isNaN(s.cpuSeconds()) ? "-" : String.format(Locale.ROOT, "%.2f", s.cpuMicrosPerPage()));
    }

    private void summary(String path, Sample[][] s, double floor) {
        for (int k = 0; k < 2; k++) {
            double[] r = Arrays.stream(s[k]).mapToDouble(Sample::rate).sorted().toArray();
            double[] c = Arrays.stream(s[k]).mapToDouble(Sample::cpuMicrosPerPage).filter(x -> !Double.isNaN(x)).sorted().toArray();
            double m = Median.ofSorted(r);
            out.printf(Locale.ROOT, "%-11s %-13s median %.0f page-ins/s (min %.0f, max %.0f), x floor %s (%s-%s); cpu %s us/page-in%n", path, ROW[k], m,
                    r[0], r[r.length - 1], FaultFloor.times(floor, m), FaultFloor.times(floor, r[r.length - 1]), FaultFloor.times(floor, r[0]),
                    c.length == 0 ? "-" : String.format(Locale.ROOT, "median %.2f (min %.2f, max %.2f)", Median.ofSorted(c), c[0], c[c.length - 1]));
        }
        pairRatios(path, "page-in rate", s, Sample::rate);
        pairRatios(path, "cpu per page-in", s, Sample::cpuMicrosPerPage);
    }

    /** SIGTERM / target-raise of {@code value} pair by pair, and their median (a pair without the value shows "-"). */
    private void pairRatios(String path, String what, Sample[][] s, java.util.function.ToDoubleFunction<Sample> value) {
        double[] ratio = new double[pairs];
        StringBuilder each = new StringBuilder();
        int known = 0;
        for (int p = 0; p < pairs; p++) {
            double r = value.applyAsDouble(s[1][p]) / value.applyAsDouble(s[0][p]);
            each.append(Double.isNaN(r) ? " -" : String.format(Locale.ROOT, " %.2f", r));
            if (!Double.isNaN(r)) ratio[known++] = r;
        }
        if (known == 0) return;
        double[] sorted = Arrays.copyOf(ratio, known);
        Arrays.sort(sorted);
        out.printf(Locale.ROOT, "%-11s SIGTERM / target-raise %s per pair:%s; median %.2f (min %.2f, max %.2f)%n", path, what, each,
                Median.ofSorted(sorted), sorted[0], sorted[sorted.length - 1]);
    }

    // ---- waiting ---------------------------------------------------------------------------------------------------

    private long deadline() { return System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds); }

    private void pause(long ms, long deadline, boolean pagerAlive, String what) throws InterruptedException {
        if (!pagerAlive) throw new IllegalStateException("xenpaging stopped while " + what);
        if (System.nanoTime() > deadline) throw new IllegalStateException("xenpaging not done " + what + " after " + timeoutSeconds + " s");
        Thread.sleep(ms);
    }

    private static void check(String what, long rc) {
        if (rc != 0) throw new IllegalStateException(what + " -> " + rc);
    }
}
