package org.fallow.guest.mem;

import org.fallow.abi.Hypercalls;
import org.fallow.abi.xen.MemoryOpConstants;
import org.fallow.abi.xen.XenMemoryReservation;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongPredicate;

/**
 * A minimal HVM guest for the PoD scenarios: an e820 that shows all of maxmem except the VGA hole, a start-of-day
 * scrubber that zeroes every RAM frame on several vCPUs, and a balloon driver that hands frames back with
 * XENMEM_decrease_reservation (512 per call, the struct and frame list in its own RAM, DOMID_SELF), as Linux does.
 */
final class PodGuest {
    static final long VGA_START = 0xA0, VGA_END = 0xC0;
    /** Kernel pages holding the balloon's hypercall struct and frame list. */
    static final long STRUCT_GFN = 0x10, LIST_GFN = 0x11;

    interface MemoryOp {
        long call(long cmd, long gpa);
    }

    final GuestMemory mem;
    final long maxPages;
    final int vcpus;

    PodGuest(GuestMemory mem, long maxPages, int vcpus) {
        this.mem = mem;
        this.maxPages = maxPages;
        this.vcpus = vcpus;
    }

    static boolean ram(long gfn) { return gfn < VGA_START || gfn >= VGA_END; }

    /** Runs {@code work(vcpu)} on every vCPU thread and waits; rethrows the first failure. */
    void onAllVcpus(java.util.function.IntConsumer work) throws Exception {
        ExecutorService ex = Executors.newFixedThreadPool(vcpus);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int v = 0; v < vcpus; v++) {
                int vcpu = v;
                fs.add(ex.submit((Callable<Void>) () -> {
                    work.accept(vcpu);
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception x) throw x;
            throw e;
        } finally {
            ex.shutdownNow();
        }
    }

    /** The start-of-day scrubber: zeroes every RAM gfn in [0, limit) that {@code include} accepts, split over the vCPUs. */
    void scrub(long limit, LongPredicate include) throws Exception {
        onAllVcpus(v -> {
            for (long g = v; g < limit; g += vcpus) if (ram(g) && include.test(g)) mem.zero(g, v);
        });
    }

    /** The balloon driver: returns {@code gfns} to Xen in batches of 512; returns the frames released. */
    long balloonOut(long[] gfns, MemoryOp op) {
        long released = 0;
        ByteBuffer list = ByteBuffer.allocate(GuestMemory.PAGE).order(ByteOrder.LITTLE_ENDIAN);
        for (int off = 0; off < gfns.length; off += 512) {
            int n = Math.min(512, gfns.length - off);
            list.clear();
            for (int i = 0; i < n; i++) list.putLong(gfns[off + i]);
            mem.write(LIST_GFN, 0, list.array(), 0);
            byte[] r = new XenMemoryReservation().wrapNew().extentStart(LIST_GFN * GuestMemory.PAGE).nrExtents(n)
                    .extentOrder(0).memFlags(0).domid(Hypercalls.DOMID_SELF).toBytes();
            mem.write(STRUCT_GFN, 0, r, 0);
            long rc = op.call(MemoryOpConstants.XENMEM_decrease_reservation, STRUCT_GFN * GuestMemory.PAGE);
            if (rc != n) throw new IllegalStateException("decrease_reservation released " + rc + " of " + n);
            released += rc;
        }
        return released;
    }
}
