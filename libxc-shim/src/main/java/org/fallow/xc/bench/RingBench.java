package org.fallow.xc.bench;

import org.fallow.abi.ring.BackRing;
import org.fallow.abi.ring.FrontRing;
import org.fallow.abi.xen.VmEventRequest;
import org.fallow.abi.ring.SharedRing;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code fallow bench ring}: the vm_event (mem_paging) ring itself. The {@code one thread} rows run the front end
 * and the back end on one thread (put up to {@code window} requests, push, take them, answer each, push, take the
 * responses), so they measure the ring's own work (four 376-byte entry copies, the index loads and release stores per
 * event) and not the scheduler: on a shared 2-core machine two spinning threads mostly measure when both happen to
 * be on a core. The {@code memcpy floor} row, measured in the same run, is those four copies alone; the last column is
 * each row's cost per event as a multiple of it. These rows are timed in the thread's CPU time (ThreadMXBean), so time
 * the thread spends waiting for a core on a loaded machine is not counted. {@code --two-threads} adds rows with the back end on a second thread
 * (bounded spin, then {@code Thread.yield}), which include cross-core traffic and scheduling.
 */
@Command(name = "ring", mixinStandardHelpOptions = true,
        description = "vm_event ring request+response events/s on one thread (the ring's own cost) vs a memcpy floor; --two-threads adds cross-thread rows.")
public final class RingBench implements Callable<Integer> {
    @Option(names = "--events", defaultValue = "1000000", description = "Request+response events per run (default ${DEFAULT-VALUE}).")
    int events;

    @Option(names = "--rounds", defaultValue = "5", description = "Runs per row; best and median printed (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--windows", split = ",", defaultValue = "1,8", description = "Requests in flight (1..8; default ${DEFAULT-VALUE}).")
    int[] windows;

    @Option(names = "--two-threads", description = "Also run the back end on a second thread (measures cross-core hand-off and the scheduler too).")
    boolean twoThreads;

    PrintStream out = System.out;

    /** Spins before a waiting thread yields its core (two-thread rows). */
    static final int SPINS = 256;

    @Override public Integer call() {
        if (events < 1 || rounds < 1) throw new IllegalArgumentException("--events and --rounds must be >= 1");
        for (int w : windows) if (w < 1 || w > 8) throw new IllegalArgumentException("windows must be in 1..8, got " + w);
        out.printf(Locale.ROOT, "vm_event ring bench: --events %d --rounds %d --windows %s (4 KiB ring, %d-byte vm_event_st, %d entries; one warm-up run per row)%n",
                events, rounds, String.join(",", Arrays.stream(windows).mapToObj(Integer::toString).toList()), VmEventRequest.SIZE, ringSize());
        out.printf(Locale.ROOT, "memcpy floor and one-thread rows: per CPU second of the measuring thread; two-thread rows: per wall-clock second%n");
        out.printf(Locale.ROOT, "%-12s %6s %10s %16s %16s %10s %10s%n", "mode", "window", "events", "best events/s", "median events/s", "ns/event", "x floor");
        double floor = row("memcpy floor", 0, RingBench::memcpyFloor, 0);
        for (int w : windows) row("one thread", w, RingBench::runOneThread, floor);
        if (twoThreads) for (int w : windows) row("two threads", w, RingBench::run, floor);
        return 0;
    }

    private interface Run { double events(int window, int n); }

    /** Prints one row; returns the best ns/event. */
    private double row(String mode, int w, Run run, double floorNs) {
        run.events(Math.max(w, 1), Math.min(events, 20_000));
        double[] r = new double[rounds];
        for (int i = 0; i < rounds; i++) r[i] = run.events(Math.max(w, 1), events);
        Arrays.sort(r);
        double ns = 1e9 / r[rounds - 1];
        out.printf(Locale.ROOT, "%-12s %6s %10d %16.0f %16.0f %10.1f %10s%n", mode, w == 0 ? "-" : Integer.toString(w), events,
                r[rounds - 1], r[rounds / 2], ns, floorNs == 0 ? "1.00" : String.format(Locale.ROOT, "%.2f", ns / floorNs));
        return ns;
    }

    private static long cpuNanos() { return java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime(); }

    private static int ringSize() {
        MemorySegment page = Arena.ofAuto().allocate(4096, 4096);
        return new SharedRing(page, VmEventRequest.SIZE).size();
    }

    /** The copies one event costs at least: request in and out of the ring, response in and out (4 x 376 bytes). */
    static double memcpyFloor(int window, int n) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(4096, 4096);
            MemorySegment a = arena.allocate(VmEventRequest.SIZE, 8), b = arena.allocate(VmEventRequest.SIZE, 8);
            long sz = VmEventRequest.SIZE, slots = 4096 / sz;
            VmEventRequest entry = new VmEventRequest().wrap(a, 0);
            long t0 = cpuNanos();
            for (int i = 0; i < n; i++) {
                long off = (i % slots) * sz;
                entry.gfn(i);
                MemorySegment.copy(a, 0, page, off, sz);
                MemorySegment.copy(page, off, b, 0, sz);
                MemorySegment.copy(b, 0, page, off, sz);
                MemorySegment.copy(page, off, a, 0, sz);
            }
            long t1 = cpuNanos();
            if (entry.gfn() != n - 1) throw new IllegalStateException("copies lost");
            return n / ((t1 - t0) / 1e9);
        }
    }

    /** Front and back end on this thread: {@code n} requests answered in rounds of {@code window}; returns events/s. */
    static double runOneThread(int window, int n) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(4096, 4096);
            SharedRing sring = new SharedRing(page, VmEventRequest.SIZE);
            sring.init();
            FrontRing front = new FrontRing(sring);
            BackRing back = new BackRing(sring);
            MemorySegment rsp = arena.allocate(VmEventRequest.SIZE, 8);
            VmEventRequest rev = new VmEventRequest().wrap(rsp);
            MemorySegment req = arena.allocate(VmEventRequest.SIZE, 8);
            VmEventRequest ev = new VmEventRequest().wrap(req).clear().version(4).reason(3);
            long t0 = cpuNanos();
            int sent = 0, got = 0;
            while (got < n) {
                for (int k = 0; k < window && sent < n && !front.full(); k++) front.putRequest(ev.gfn(sent++).segment());
                front.pushRequests();
                while (back.takeRequest(rsp)) {
                    rev.version(4);
                    back.putResponse(rsp);
                }
                back.pushResponses();
                while (front.takeResponse(req)) got++;
            }
            long t1 = cpuNanos();
            if (got != n || sent != n) throw new IllegalStateException("events lost: sent " + sent + " got " + got);
            return n / ((t1 - t0) / 1e9);
        }
    }

    /** Two threads: {@code n} requests answered, at most {@code window} in flight; returns events/s. */
    static double run(int window, int n) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment page = arena.allocate(4096, 4096);
            SharedRing sring = new SharedRing(page, VmEventRequest.SIZE);
            sring.init();
            FrontRing front = new FrontRing(sring);
            BackRing back = new BackRing(sring);
            AtomicBoolean stop = new AtomicBoolean();
            MemorySegment rsp = arena.allocate(VmEventRequest.SIZE, 8);
            Thread backend = new Thread(() -> {
                VmEventRequest ev = new VmEventRequest().wrap(rsp);
                int idle = 0;
                while (!stop.get()) {
                    int k = 0;
                    while (back.takeRequest(rsp)) {
                        ev.version(4);
                        back.putResponse(rsp);
                        k++;
                    }
                    if (k > 0) { back.pushResponses(); idle = 0; }
                    else if (++idle < SPINS) Thread.onSpinWait();
                    else Thread.yield();
                }
            }, "ring-back");
            backend.setDaemon(true);
            backend.start();
            MemorySegment req = arena.allocate(VmEventRequest.SIZE, 8);
            VmEventRequest ev = new VmEventRequest().wrap(req).clear().version(4).reason(3);
            long t0 = System.nanoTime();
            int sent = 0, got = 0, inflight = 0, idle = 0;
            while (got < n) {
                while (inflight < window && sent < n && !front.full()) {
                    front.putRequest(ev.gfn(sent).segment());
                    sent++;
                    inflight++;
                }
                front.pushRequests();
                boolean any = false;
                while (front.takeResponse(req)) { got++; inflight--; any = true; }
                if (any) idle = 0;
                else if (++idle < SPINS) Thread.onSpinWait();
                else Thread.yield();
            }
            long t1 = System.nanoTime();
            stop.set(true);
            try { backend.join(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
            return n / ((t1 - t0) / 1e9);
        }
    }
}
