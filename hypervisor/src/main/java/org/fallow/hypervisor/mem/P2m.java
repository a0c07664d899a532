package org.fallow.hypervisor.mem;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

import static org.fallow.abi.xen.XenLayouts.U64;
import static org.fallow.abi.xen.XenLayouts.U32;

/**
 * {@code dom<D>.p2m}: the shared p2m view (docs/PROTOCOL.md §3.3), the emulated EPT a guest vCPU consults before
 * each access.
 * <pre>
 * header (64 bytes, little-endian)
 *   0 u32 magic 0x4D325046 "FP2M"   4 u32 version 1   8 u64 nr_frames   16 u32 domain_state   20 u32 pad   24..63 0
 * entry g at 64 + 4g (u32)
 *   bits 0-7 p2m type (Xen 4.12 numbering, {@link P2mType})   bits 8-15 reserved   bits 16-31 in-flight accesses
 * </pre>
 * Only the hypervisor changes the type byte, always by compare-and-swap of the whole word; guests only add and
 * subtract {@link #INFLIGHT_ONE}. {@link #takeFromGuest} is the one way to take a present frame away: it succeeds only
 * from {@code ram_rw} with no access in flight. Used from the dispatch thread (reads from any thread are fine).
 */
public final class P2m implements AutoCloseable {
    public static final int MAGIC = 0x4D325046;
    public static final int VERSION = 1;
    public static final int HEADER = 64;
    public static final int OFF_MAGIC = 0, OFF_VERSION = 4, OFF_NR_FRAMES = 8, OFF_DOMAIN_STATE = 16;
    public static final int STATE_RUNNING = 0, STATE_PAUSED = 1, STATE_CRASHED = 2, STATE_DYING = 3;
    public static final int TYPE_MASK = 0xFF;
    public static final int INFLIGHT_SHIFT = 16;
    public static final int INFLIGHT_ONE = 1 << INFLIGHT_SHIFT;

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

    public static long entryOffset(long gfn) { return HEADER + 4 * gfn; }

    public static int typeOf(int word) { return word & TYPE_MASK; }

    public static int inflightOf(int word) { return word >>> INFLIGHT_SHIFT; }

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
            if (first) {
                s.set(U32, OFF_MAGIC, MAGIC);
                s.set(U32, OFF_VERSION, VERSION);
                s.set(U32, OFF_DOMAIN_STATE, STATE_PAUSED);
            }
            VarHandle.fullFence();
            s.set(U64, OFF_NR_FRAMES, frames);
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

    public int domainState() { return seg.get(U32, OFF_DOMAIN_STATE); }

    public void domainState(int state) {
        seg.set(U32, OFF_DOMAIN_STATE, state);
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
