package org.fallow.abi.wire;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;
import org.fallow.abi.xen.Flyweight;
import org.fallow.abi.xen.P2mType;

/**
 * The 4096-byte header page of {@code dom<D>.p2m}, the shared p2m view (PROTOCOL §3.3; {@code struct fallow_p2m_header}
 * of {@code abi/src/main/c/fallow_wire.h}), with its table of populate-on-demand extents ({@link P2mPodExtent}), and
 * the encoding of the 32-bit entries after it. Written by the hypervisor, read by guests, pagers and the conformance
 * suite.
 * <pre>
 * fallow_p2m_header (4096 bytes)
 * offset size  member          type
 *      0    4  magic           le32
 *      4    4  version         le32
 *      8    8  nr_frames       le64
 *     16    4  domain_state    le32
 *     20    4  nr_pod_extents  le32
 *     24   40  reserved        byte[40]
 *     64 4032  pod_extents     fallow_p2m_pod_extent[252]
 * </pre>
 * magic "FP2M"; version 2; nr_frames: entries after the header; domain_state 0 running, 1 paused, 2 crashed, 3 dying;
 * nr_pod_extents: pod_extents[0, n) in use (stored after the extent, release); each pod extent is
 * {le64 first_gfn, le64 end_gfn (exclusive)}. Entry g is the le32 at 4096 + 4g:
 * <pre>
 *   bits 0-7   stored type: 0 = unset, t + 1 = Xen 4.12 p2m type t (ram_rw 1, invalid 2, populate_on_demand 7 ...)
 *   bits 8-15  reserved
 *   bits 16-31 guest accesses in flight
 * </pre>
 * An unset entry's type is populate_on_demand if the gfn is inside a pod extent, invalid otherwise.
 * A never-written entry is a hole of the sparse file: it reads 0 (unset) and costs no storage, so a domain's build and
 * its PoD marking are independent of its size. Extents are only appended, or the last one's end_gfn raised in place
 * (one aligned 8-byte store); they are never removed or shrunk while the domain lives. A gfn whose PoD state ends
 * (populated, ballooned out) gets an explicit entry, which wins over the extents.
 */
public final class P2mHeader extends Flyweight<P2mHeader> {
    /** "FP2M". */
    public static final int MAGIC = 0x4D325046;
    public static final int VERSION = 2;
    public static final int STATE_RUNNING = 0, STATE_PAUSED = 1, STATE_CRASHED = 2, STATE_DYING = 3;
    /** Entry bits 0-7: the stored type (0 unset, else Xen 4.12 type + 1); bits 16-31: guest accesses in flight. */
    public static final int TYPE_MASK = 0xFF, INFLIGHT_SHIFT = 16, INFLIGHT_ONE = 1 << INFLIGHT_SHIFT;
    /** The stored type byte of an entry with no type of its own (its extent decides, see {@link #typeAt}). */
    public static final int UNSET = 0;
    /** Capacity of the PoD extent table. */
    public static final int POD_EXTENTS_MAX = 252;

    public static final StructLayout LAYOUT = struct("fallow_p2m_header",
            u32("magic"),
            u32("version"),
            u64("nr_frames"),
            u32("domain_state"),
            u32("nr_pod_extents"),
            array("reserved", 40, U8),
            array("pod_extents", POD_EXTENTS_MAX, P2mPodExtent.LAYOUT));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int MAGIC_OFFSET = offsetOf(LAYOUT, "magic");
    public static final int VERSION_OFFSET = offsetOf(LAYOUT, "version");
    public static final int NR_FRAMES_OFFSET = offsetOf(LAYOUT, "nr_frames");
    public static final int DOMAIN_STATE_OFFSET = offsetOf(LAYOUT, "domain_state");
    public static final int NR_POD_EXTENTS_OFFSET = offsetOf(LAYOUT, "nr_pod_extents");
    public static final int POD_EXTENTS_OFFSET = offsetOf(LAYOUT, "pod_extents");

    private static final VarHandle WORD32 = U32.varHandle(), WORD64 = U64.varHandle();

    /** Byte offset of gfn {@code g}'s entry in the file. */
    public static long entryOffset(long gfn) { return SIZE + 4 * gfn; }

    /** Size of a p2m file of {@code nrFrames} entries. */
    public static long fileSize(long nrFrames) { return entryOffset(nrFrames); }

    /** Byte offset of PoD extent {@code i} in the file. */
    public static long podExtentOffset(int i) { return POD_EXTENTS_OFFSET + (long) P2mPodExtent.SIZE * i; }

    /** The stored type byte of Xen 4.12 p2m type {@code type}. */
    public static int stored(int type) { return type + 1; }

    /** An entry word with type {@code type}, keeping {@code word}'s other bits (in-flight count). */
    public static int withType(int word, int type) { return (word & ~TYPE_MASK) | stored(type); }

    /** Whether the entry has no type of its own (its type is then decided by the PoD extents). */
    public static boolean unset(int entry) { return (entry & TYPE_MASK) == UNSET; }

    /**
     * The entry's own p2m type; an unset entry reads {@code invalid} here. Enough to test for a type the hypervisor
     * always writes explicitly ({@code ram_rw}, the paging types); to tell populate_on_demand apart use {@link #typeAt}.
     */
    public static int typeOf(int entry) {
        int b = entry & TYPE_MASK;
        return b == UNSET ? P2mType.P2M_INVALID : b - 1;
    }

    public static int inflightOf(int entry) { return entry >>> INFLIGHT_SHIFT; }

    /**
     * The p2m type of gfn {@code gfn} in a mapped view {@code p2m} (header at offset 0, entries mapped): the entry's own
     * type, or for an unset entry populate_on_demand when a PoD extent holds the gfn, else invalid. Reads the entry,
     * then the extent count (acquire) and the extents; O(nr_pod_extents) for an unset entry.
     */
    public static int typeAt(MemorySegment p2m, long gfn) {
        int entry = (int) WORD32.getVolatile(p2m, entryOffset(gfn));
        if (!unset(entry)) return typeOf(entry);
        return inPodExtent(p2m, gfn) ? P2mType.P2M_POPULATE_ON_DEMAND : P2mType.P2M_INVALID;
    }

    /** Whether one of the view's PoD extents holds {@code gfn}. */
    public static boolean inPodExtent(MemorySegment p2m, long gfn) {
        int n = Math.min((int) WORD32.getAcquire(p2m, (long) NR_POD_EXTENTS_OFFSET), POD_EXTENTS_MAX);
        for (int i = 0; i < n; i++) {
            long at = podExtentOffset(i);
            long first = (long) WORD64.getVolatile(p2m, at + P2mPodExtent.FIRST_GFN_OFFSET);
            long end = (long) WORD64.getVolatile(p2m, at + P2mPodExtent.END_GFN_OFFSET);
            if (gfn >= first && gfn < end) return true;
        }
        return false;
    }

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long magic() { return getU32(MAGIC_OFFSET); }
    public P2mHeader magic(long v) { putU32(MAGIC_OFFSET, v); return this; }
    public long version() { return getU32(VERSION_OFFSET); }
    public P2mHeader version(long v) { putU32(VERSION_OFFSET, v); return this; }
    public long nrFrames() { return getU64(NR_FRAMES_OFFSET); }
    public P2mHeader nrFrames(long v) { putU64(NR_FRAMES_OFFSET, v); return this; }
    public int domainState() { return getI32(DOMAIN_STATE_OFFSET); }
    public P2mHeader domainState(int v) { putU32(DOMAIN_STATE_OFFSET, v); return this; }
    public int nrPodExtents() { return (int) WORD32.getAcquire(segment(), offset() + NR_POD_EXTENTS_OFFSET); }

    /** Publishes the extent count (release: extents written before it are seen by a reader that reads it). */
    public P2mHeader nrPodExtents(int v) { WORD32.setRelease(segment(), offset() + NR_POD_EXTENTS_OFFSET, v); return this; }

    /** PoD extent {@code i} (a flyweight over the header's table). */
    public P2mPodExtent podExtent(int i, P2mPodExtent into) {
        if (i < 0 || i >= POD_EXTENTS_MAX) throw new IndexOutOfBoundsException("pod extent " + i);
        return into.wrap(segment(), offset() + podExtentOffset(i));
    }

    /** A header that starts a valid p2m view (magic and version right). */
    public boolean valid() { return magic() == Integer.toUnsignedLong(MAGIC) && version() == VERSION; }
}
