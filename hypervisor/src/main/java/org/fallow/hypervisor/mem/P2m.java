package org.fallow.hypervisor.mem;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import org.fallow.abi.wire.P2mHeader;
import org.fallow.abi.wire.P2mPodExtent;

import static org.fallow.abi.xen.XenLayouts.U32;

/**
 * {@code dom<D>.p2m}: the shared p2m view (docs/PROTOCOL.md §3.3), the emulated EPT a guest vCPU consults before
 * each access. Its header, PoD extent table and entry encoding are abi's {@link P2mHeader} (the one declaration,
 * C-probed): entry g at {@code P2mHeader.entryOffset(g)}, stored type (Xen 4.12 {@link P2mType} + 1, 0 = unset) in
 * bits 0-7, in-flight accesses in bits 16-31. An unset entry is populate_on_demand inside a PoD extent and invalid
 * elsewhere, so the file stays sparse: growing it writes no entry, marking a PoD range writes one extent.
 * Only the hypervisor changes the type byte, always by compare-and-swap of the whole word, and always to an explicit
 * type; guests only add and subtract {@link #INFLIGHT_ONE}. {@link #takeFromGuest} is the one way to take a present
 * frame away: it succeeds only from {@code ram_rw} with no access in flight. Used from the dispatch thread (reads from
 * any thread are fine).
 */
public final class P2m implements AutoCloseable {
    private static final int INFLIGHT_ONE = P2mHeader.INFLIGHT_ONE;

    /** Atomic access to one entry: coordinates (MemorySegment, long byteOffset). */
    public static final VarHandle ENTRY = U32.varHandle();

    private final Path path;
    private final GrowableMapping file;
    private MemorySegment seg = MemorySegment.NULL;
    private long nrFrames = -1;
    /** gfns whose entry has an explicit type (not unset): what a PoD marking must look at. */
    private final java.util.BitSet explicit = new java.util.BitSet();
    private final PodExtents podExtents = new PodExtents();

    private P2m(GrowableMapping file) {
        this.path = file.path();
        this.file = file;
    }

    /** Creates (truncating) a p2m file of {@code nrFrames} entries, all unset ({@code invalid}). */
    public static P2m create(Path path, long nrFrames) throws IOException {
        P2m p = new P2m(GrowableMapping.create(path));
        p.grow(nrFrames);
        return p;
    }

    public static long entryOffset(long gfn) { return P2mHeader.entryOffset(gfn); }

    /** The word's own type ({@code invalid} when unset; {@link #type} also knows the PoD extents). */
    public static int typeOf(int word) { return P2mHeader.typeOf(word); }

    /** The entry word of type {@code type} with nothing in flight. */
    public static int entry(int type) { return P2mHeader.withType(0, type); }

    public static int inflightOf(int word) { return P2mHeader.inflightOf(word); }

    public Path path() { return path; }

    public long nrFrames() { return nrFrames; }

    public MemorySegment segment() { return seg; }

    /**
     * Grows to {@code frames} entries; the new ones are holes of the file (unset: {@code invalid}), nothing is written
     * but the header's nr_frames, last.
     */
    public void grow(long frames) throws IOException {
        if (frames <= nrFrames) return;
        boolean first = nrFrames < 0;
        seg = file.grow(entryOffset(frames), s -> {
            P2mHeader h = new P2mHeader().wrap(s, 0);
            if (first) h.magic(P2mHeader.MAGIC).version(P2mHeader.VERSION).domainState(P2mHeader.STATE_PAUSED);
            VarHandle.fullFence();
            h.nrFrames(frames);
        });
        nrFrames = frames;
    }

    public boolean contains(long gfn) { return gfn >= 0 && gfn < nrFrames; }

    /** The whole entry word (volatile read). */
    public int word(long gfn) { return (int) ENTRY.getVolatile(seg, entryOffset(gfn)); }

    /** The p2m type of {@code gfn}; gfns outside the map are {@code invalid}. */
    public int type(long gfn) { return contains(gfn) ? typeOf(gfn, word(gfn)) : P2mType.INVALID; }

    /** The type entry word {@code w} of {@code gfn} stands for (an unset word: by the PoD extents). */
    private int typeOf(long gfn, int w) {
        if (!P2mHeader.unset(w)) return typeOf(w);
        return podExtents.contains(gfn) ? P2mType.POPULATE_ON_DEMAND : P2mType.INVALID;
    }

    /** CAS of the whole word (the hypervisor only ever stores explicit types). */
    public boolean cas(long gfn, int expect, int update) {
        if (P2mHeader.unset(update)) throw new IllegalArgumentException("gfn " + gfn + ": the hypervisor writes explicit types");
        if (!ENTRY.compareAndSet(seg, entryOffset(gfn), expect, update)) return false;
        if (P2mHeader.unset(expect)) explicit.set(Math.toIntExact(gfn));
        return true;
    }

    /** Whether {@code gfn} is {@code ram_rw} with no access in flight (what a reclaim's CAS expects). */
    public boolean ramIdle(long gfn) { return word(gfn) == entry(P2mType.RAM_RW); }

    /** CAS {@code ram_rw} with nothing in flight to {@code newType}; false if the guest is touching the frame or it is not ram_rw. */
    public boolean takeFromGuest(long gfn, int newType) { return cas(gfn, entry(P2mType.RAM_RW), entry(newType)); }

    /** Changes the type only if it is {@code expectType}, keeping in-flight and reserved bits. */
    public boolean casType(long gfn, int expectType, int newType) {
        for (;;) {
            int w = word(gfn);
            if (typeOf(gfn, w) != expectType) return false;
            if (cas(gfn, w, P2mHeader.withType(w, newType))) return true;
        }
    }

    /** Sets the type whatever it was, keeping in-flight and reserved bits; returns the old type. */
    public int setType(long gfn, int newType) {
        for (;;) {
            int w = word(gfn);
            if (cas(gfn, w, P2mHeader.withType(w, newType))) return typeOf(gfn, w);
        }
    }

    // ---- PoD extents --------------------------------------------------------------------------------------------

    /**
     * The first gfn in [from, to) whose entry has an explicit type, or -1. Reads a bit-set word per 64 gfns up to the
     * highest explicit entry and nothing beyond it, never the file.
     */
    public long nextExplicit(long from, long to) {
        if (from >= to || from >= Integer.MAX_VALUE) return -1;
        int g = explicit.nextSetBit((int) Math.max(from, 0));
        return g >= 0 && g < to ? g : -1;
    }

    /** Whether a PoD extent of the view holds {@code gfn}. */
    public boolean inPodExtent(long gfn) { return podExtents.contains(gfn); }

    /** How many gfns of [from, to) PoD extents hold. */
    public long podExtentCovered(long from, long to) { return podExtents.covered(from, to); }

    /**
     * Publishes [from, to) as a PoD extent of the view: raises the last extent's end_gfn when it ends at {@code from},
     * else appends one. False when the table is full (the caller then writes the gfns' entries instead).
     */
    public boolean addPodExtent(long from, long to) {
        P2mHeader h = new P2mHeader().wrap(seg, 0);
        int n = h.nrPodExtents();
        P2mPodExtent e = new P2mPodExtent();
        if (n > 0 && h.podExtent(n - 1, e).endGfn() == from) {
            e.endGfn(to);
        } else {
            if (n >= P2mHeader.POD_EXTENTS_MAX) return false;
            h.podExtent(n, e).firstGfn(from).endGfn(to);
            h.nrPodExtents(n + 1);
        }
        podExtents.add(from, to);
        return true;
    }

    /** Extents in the view's table. */
    public int podExtentCount() { return new P2mHeader().wrap(seg, 0).nrPodExtents(); }

    /** Adds {@code delta} in-flight accesses (a hypervisor pin, as a guest vCPU does with lock xadd); returns the old word. */
    public int addInflight(long gfn, int delta) {
        return (int) ENTRY.getAndAdd(seg, entryOffset(gfn), delta * INFLIGHT_ONE);
    }

    public int domainState() { return new P2mHeader().wrap(seg, 0).domainState(); }

    public void domainState(int state) {
        new P2mHeader().wrap(seg, 0).domainState(state);
        VarHandle.fullFence();
    }

    @Override public void close() {
        file.close();
        seg = MemorySegment.NULL;
    }

    public void closeAndDelete() {
        file.closeAndDelete();
        seg = MemorySegment.NULL;
    }
}
