package org.fallow.abi.wire;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;
import org.fallow.abi.xen.Flyweight;

/**
 * One populate-on-demand extent of the shared p2m view's header ({@code struct fallow_p2m_pod_extent} of
 * {@code abi/src/main/c/fallow_wire.h}; PROTOCOL §3.3): gfns [first_gfn, end_gfn) whose unset entries are
 * populate_on_demand. Only the hypervisor writes it; {@code end_gfn} only grows, by one aligned 8-byte store.
 * <pre>
 * fallow_p2m_pod_extent (16 bytes)
 * offset size  member     type
 *      0    8  first_gfn  le64
 *      8    8  end_gfn    le64
 * </pre>
 * end_gfn is exclusive.
 */
public final class P2mPodExtent extends Flyweight<P2mPodExtent> {
    public static final StructLayout LAYOUT = struct("fallow_p2m_pod_extent",
            u64("first_gfn"),
            u64("end_gfn"));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int FIRST_GFN_OFFSET = offsetOf(LAYOUT, "first_gfn");
    public static final int END_GFN_OFFSET = offsetOf(LAYOUT, "end_gfn");

    private static final VarHandle WORD64 = U64.varHandle();

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long firstGfn() { return (long) WORD64.getVolatile(segment(), offset() + FIRST_GFN_OFFSET); }
    public P2mPodExtent firstGfn(long v) { WORD64.setVolatile(segment(), offset() + FIRST_GFN_OFFSET, v); return this; }
    public long endGfn() { return (long) WORD64.getVolatile(segment(), offset() + END_GFN_OFFSET); }
    public P2mPodExtent endGfn(long v) { WORD64.setVolatile(segment(), offset() + END_GFN_OFFSET, v); return this; }
}
