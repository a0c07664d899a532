package org.fallow.guest.hv;

import org.fallow.abi.Hypercalls;

import static org.fallow.abi.Hypercalls.DOMID_SELF;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_current_reservation;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_decrease_reservation;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_maximum_reservation;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_populate_physmap;

/**
 * {@link MemoryOps} as real hypercalls: the gfn list goes into the extent frame, a {@code xen_memory_reservation}
 * into the struct frame, then {@code memory_op(cmd, handle)}.
 *
 * <pre>
 * xen_memory_reservation (32 bytes)
 *  0 u64 extent_start (handle: gpa of the extent frame)
 *  8 u64 nr_extents
 * 16 u32 extent_order   20 u32 mem_flags
 * 24 u16 domid          26 pad[6]
 * </pre>
 * At most {@link HypercallArgs#EXTENTS_PER_FRAME} extents per call; callers batch as Linux does.
 */
public final class HypercallMemoryOps implements MemoryOps {
    private final Hypercaller hc;
    private final PhysMem mem;
    private final HypercallArgs args;

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
        mem.zero(a, 32);
        mem.writeLong(a, ext);
        mem.writeLong(a + 8, n);
        mem.writeInt(a + 16, 0);
        mem.writeInt(a + 20, 0);
        mem.writeShort(a + 24, (short) DOMID_SELF);
        return hc.hypercall(Hypercalls.MEMORY_OP, cmd, a);
    }

    @Override public long populatePhysmap(long[] gfns, int n) { return reservation(XENMEM_populate_physmap, gfns, n); }

    @Override public long decreaseReservation(long[] gfns, int n) { return reservation(XENMEM_decrease_reservation, gfns, n); }

    private long domidQuery(int cmd) {
        long a = args.structGpa();
        mem.zero(a, 8);
        mem.writeShort(a, (short) DOMID_SELF);
        return hc.hypercall(Hypercalls.MEMORY_OP, cmd, a);
    }

    @Override public long currentReservation() { return domidQuery(XENMEM_current_reservation); }

    @Override public long maximumReservation() { return domidQuery(XENMEM_maximum_reservation); }
}
