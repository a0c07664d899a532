package org.fallow.hypervisor.mem;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import org.fallow.abi.wire.P2mHeader;

import static org.fallow.abi.xen.XenLayouts.U32;

/**
 * {@code dom<D>.p2m}: the shared p2m view (docs/PROTOCOL.md §3.3), the emulated EPT a guest vCPU consults before
 * each access. Its header and entry encoding are abi's {@link P2mHeader} (the one declaration, C-probed): entry g at
 * {@code P2mHeader.entryOffset(g)}, p2m type (Xen 4.12 numbering, {@link P2mType}) in bits 0-7, in-flight accesses
 * in bits 16-31.
 * Only the hypervisor changes the type byte, always by compare-and-swap of the whole word; guests only add and
 * subtract {@link #INFLIGHT_ONE}. {@link #takeFromGuest} is the one way to take a present frame away: it succeeds only
 * from {@code ram_rw} with no access in flight. Used from the dispatch thread (reads from any thread are fine).
 */
public final class P2m implements AutoCloseable {
    private static final int TYPE_MASK = P2mHeader.TYPE_MASK, INFLIGHT_ONE = P2mHeader.INFLIGHT_ONE;

    /** Atomic access to one entry: coordinates (MemorySegment, long byteOffset). */
    public static final VarHandle ENTRY = U32.varHandle();

    private final Path path;
    private final GrowableMapping file;
    private MemorySegment seg = MemorySegment.NULL;
    private long nrFrames = -1;

    private P2m(GrowableMapping file) {
        this.path = file.path();
        this.file = file;
    }

    /** Creates (truncating) a p2m file of {@code nrFrames} entries, all {@code invalid}. */
    public static P2m create(Path path, long nrFrames) throws IOException {
        P2m p = new P2m(GrowableMapping.create(path));
        p.grow(nrFrames);
        return p;
    }

    public static long entryOffset(long gfn) { return P2mHeader.entryOffset(gfn); }

    public static int typeOf(int word) { return P2mHeader.typeOf(word); }

    public static int inflightOf(int word) { return P2mHeader.inflightOf(word); }

    public Path path() { return path; }

    public long nrFrames() { return nrFrames; }

    public MemorySegment segment() { return seg; }

    /** Grows to {@code frames} entries (new ones {@code invalid}); the header's nr_frames is written last. */
    public void grow(long frames) throws IOException {
        if (frames <= nrFrames) return;
        long from = Math.max(nrFrames, 0);
        boolean first = nrFrames < 0;
        seg = file.grow(entryOffset(frames), s -> {
            for (long g = from; g < frames; g++) s.set(U32, entryOffset(g), P2mType.INVALID);
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
    public int type(long gfn) { return contains(gfn) ? typeOf(word(gfn)) : P2mType.INVALID; }

    public boolean cas(long gfn, int expect, int update) {
        return ENTRY.compareAndSet(seg, entryOffset(gfn), expect, update);
    }

    /** CAS {@code ram_rw} with nothing in flight to {@code newType}; false if the guest is touching the frame or it is not ram_rw. */
    public boolean takeFromGuest(long gfn, int newType) { return cas(gfn, P2mType.RAM_RW, newType); }

    /** Changes the type only if it is {@code expectType}, keeping in-flight and reserved bits. */
    public boolean casType(long gfn, int expectType, int newType) {
        for (;;) {
            int w = word(gfn);
            if (typeOf(w) != expectType) return false;
            if (cas(gfn, w, (w & ~TYPE_MASK) | newType)) return true;
        }
    }

    /** Sets the type whatever it was, keeping in-flight and reserved bits; returns the old type. */
    public int setType(long gfn, int newType) {
        for (;;) {
            int w = word(gfn);
            if (cas(gfn, w, (w & ~TYPE_MASK) | newType)) return typeOf(w);
        }
    }

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
