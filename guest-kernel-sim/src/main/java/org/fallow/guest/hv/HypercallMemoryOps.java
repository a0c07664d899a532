package org.fallow.guest.hv;

import org.fallow.abi.Hypercalls;
import org.fallow.abi.xen.XenMemoryReservation;

import static org.fallow.abi.Hypercalls.DOMID_SELF;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_current_reservation;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_decrease_reservation;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_maximum_reservation;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_populate_physmap;

/**
 * {@link MemoryOps} as real hypercalls: the gfn list goes into the extent frame, a {@code xen_memory_reservation}
 * (abi's {@link XenMemoryReservation}; extent_start is the extent frame's gpa) into the struct frame, then
 * {@code memory_op(cmd, handle)}. At most {@link HypercallArgs#EXTENTS_PER_FRAME} extents per call; callers batch as Linux does.
 */
public final class HypercallMemoryOps implements MemoryOps {
    private final Hypercaller hc;
    private final PhysMem mem;
    private final HypercallArgs args;
    private final XenMemoryReservation res = new XenMemoryReservation().wrapNew();

    public HypercallMemoryOps(Hypercaller hc, PhysMem mem, HypercallArgs args) {
        this.hc = hc;
        this.mem = mem;
        this.args = args;
    }

    private long reservation(int cmd, long[] gfns, int n) {
        if (n < 0 || n > HypercallArgs.EXTENTS_PER_FRAME) throw new IllegalArgumentException("batch of " + n + " extents");
        long ext = args.extentGpa();
        for (int i = 0; i < n; i++) mem.writeLong(ext + 8L * i, gfns[i]);
        long a = args.structGpa();
        mem.write(a, res.clear().extentStart(ext).nrExtents(n).extentOrder(0).memFlags(0).domid(DOMID_SELF).slice());
        return hc.hypercall(Hypercalls.MEMORY_OP, cmd, a);
    }

    @Override public long populatePhysmap(long[] gfns, int n) { return reservation(XENMEM_populate_physmap, gfns, n); }

    @Override public long decreaseReservation(long[] gfns, int n) { return reservation(XENMEM_decrease_reservation, gfns, n); }

    /** current/maximum_reservation take a {@code domid_t} (u16) argument. */
    private long domidQuery(int cmd) {
        long a = args.structGpa();
        mem.zero(a, 8);
        mem.writeShort(a, (short) DOMID_SELF);
        return hc.hypercall(Hypercalls.MEMORY_OP, cmd, a);
    }

    @Override public long currentReservation() { return domidQuery(XENMEM_current_reservation); }

    @Override public long maximumReservation() { return domidQuery(XENMEM_maximum_reservation); }
}
