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
 * {@code fallow bench ring}: the vm_event (mem_paging) ring between two threads of this process, a front end
 * producing requests and a back end answering each with a response, both spinning on the shared indices (no event
 * channel). Window 1 is ping-pong; window 8 keeps the whole 4 KiB ring (8 entries of 376 bytes) busy.
 */
@Command(name = "ring", mixinStandardHelpOptions = true,
        description = "vm_event ring request+response events/s between two threads: ping-pong and up to 8 in flight.")
public final class RingBench implements Callable<Integer> {
    @Option(names = "--events", defaultValue = "50000", description = "Request+response events per run (default ${DEFAULT-VALUE}).")
    int events;

    @Option(names = "--rounds", defaultValue = "3", description = "Runs per window; best and median printed (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--windows", split = ",", defaultValue = "1,8", description = "Requests in flight (1..8; default ${DEFAULT-VALUE}).")
    int[] windows;

    PrintStream out = System.out;

    @Override public Integer call() {
        if (events < 1 || rounds < 1) throw new IllegalArgumentException("--events and --rounds must be >= 1");
        for (int w : windows) if (w < 1 || w > 8) throw new IllegalArgumentException("windows must be in 1..8, got " + w);
        out.printf(Locale.ROOT, "vm_event ring bench: --events %d --rounds %d --windows %s (4 KiB ring, %d-byte vm_event_st, %d entries; one warm-up run per window)%n",
                events, rounds, String.join(",", Arrays.stream(windows).mapToObj(Integer::toString).toList()), VmEventRequest.SIZE, ringSize());
        out.printf(Locale.ROOT, "%6s %12s %18s %18s%n", "window", "events", "best events/s", "median events/s");
        for (int w : windows) {
            run(w, Math.min(events, 20_000));
            double[] r = new double[rounds];
            for (int i = 0; i < rounds; i++) r[i] = run(w, events);
            Arrays.sort(r);
            out.printf(Locale.ROOT, "%6d %12d %18.0f %18.0f%n", w, events, r[rounds - 1], r[rounds / 2]);
        }
        return 0;
    }

    private static int ringSize() {
        MemorySegment page = Arena.ofAuto().allocate(4096, 4096);
        return new SharedRing(page, VmEventRequest.SIZE).size();
    }

    /** One run: {@code n} requests answered, at most {@code window} in flight; returns events/s. */
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
                while (!stop.get()) {
                    int k = 0;
                    while (back.takeRequest(rsp)) {
                        ev.version(4);
                        back.putResponse(rsp);
                        k++;
                    }
                    if (k > 0) back.pushResponses();
                    else Thread.onSpinWait();
                }
            }, "ring-back");
            backend.setDaemon(true);
            backend.start();
            MemorySegment req = arena.allocate(VmEventRequest.SIZE, 8);
            VmEventRequest ev = new VmEventRequest().wrap(req).clear().version(4).reason(3);
            long t0 = System.nanoTime();
            int sent = 0, got = 0, inflight = 0;
            while (got < n) {
                while (inflight < window && sent < n && !front.full()) {
                    front.putRequest(ev.gfn(sent).segment());
                    sent++;
                    inflight++;
                }
                front.pushRequests();
                while (front.takeResponse(req)) { got++; inflight--; }
                if (inflight == window) Thread.onSpinWait();
            }
            long t1 = System.nanoTime();
            stop.set(true);
            try { backend.join(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
            return n / ((t1 - t0) / 1e9);
        }
    }
}
