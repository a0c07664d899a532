package org.fallow.cli.bench.jmh;

import org.fallow.abi.ring.BackRing;
import org.fallow.abi.ring.FrontRing;
import org.fallow.abi.xen.VmEventRequest;
import org.fallow.abi.ring.SharedRing;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * The vm_event ring's code path on one thread (no cross-core traffic; {@code fallow bench ring} measures two threads):
 * {@code batch} requests produced and pushed by the FrontRing, taken and answered by the BackRing, responses pushed
 * and taken by the FrontRing. One operation = one request+response event (376-byte vm_event_st copied in and out
 * at each step; the 4 KiB ring holds 8). {@code memcpyFloor} is its floor in the same run: per event the four
 * 376-byte copies alone (request into a ring slot and out, response into the slot and out), {@code batch} per call.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RingBenchmark {
    @Param({"1", "8"})
    public int batch;

    private Arena arena;
    private FrontRing front;
    private BackRing back;
    private MemorySegment page, req, rsp;
    private VmEventRequest ev;
    private long gfn;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        SharedRing sring = new SharedRing(arena.allocate(4096, 4096), VmEventRequest.SIZE);
        page = arena.allocate(4096, 4096); // the floor's own page: its copies must not touch the ring's
        sring.init();
        front = new FrontRing(sring);
        back = new BackRing(sring);
        req = arena.allocate(VmEventRequest.SIZE, 8);
        rsp = arena.allocate(VmEventRequest.SIZE, 8);
        ev = new VmEventRequest().wrap(req).clear().version(4).reason(3);
        if (batch > front.size()) throw new IllegalStateException("batch " + batch + " > ring size " + front.size());
    }

    @TearDown(Level.Trial)
    public void tearDown() { arena.close(); }

    /** The floor: {@code batch} events' four slot copies each, through a page of its own and the same buffers; returns the last gfn copied back. */
    @Benchmark
    public long memcpyFloor() {
        long sz = VmEventRequest.SIZE, slots = 4096 / sz;
        for (int i = 0; i < batch; i++) {
            long off = (gfn % slots) * sz;
            ev.gfn(gfn++);
            MemorySegment.copy(req, 0, page, off, sz);
            MemorySegment.copy(page, off, rsp, 0, sz);
            MemorySegment.copy(rsp, 0, page, off, sz);
            MemorySegment.copy(page, off, req, 0, sz);
        }
        return ev.gfn();
    }

    /** Returns the last response's gfn; JMH scores per call, so events/s = score x batch (printed per batch). */
    @Benchmark
    public long produceConsume() {
        for (int i = 0; i < batch; i++) front.putRequest(ev.gfn(gfn++).segment());
        front.pushRequests();
        while (back.takeRequest(rsp)) back.putResponse(rsp);
        back.pushResponses();
        long last = -1;
        while (front.takeResponse(req)) last = ev.gfn();
        return last;
    }
}
