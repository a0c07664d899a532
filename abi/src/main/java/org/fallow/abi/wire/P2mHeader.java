package org.fallow.abi.wire;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import org.fallow.abi.xen.Flyweight;

/**
 * The 64-byte header of {@code dom<D>.p2m}, the shared p2m view (PROTOCOL §3.3; {@code struct fallow_p2m_header} of
 * {@code abi/src/main/c/fallow_wire.h}), and the encoding of the 32-bit entries after it. Written by the hypervisor,
 * read by guests, pagers and the conformance suite.
 * <pre>
 * fallow_p2m_header (64 bytes)
 * offset size  member        type
 *      0    4  magic         le32
 *      4    4  version       le32
 *      8    8  nr_frames     le64
 *     16    4  domain_state  le32
 *     20    4  pad           le32
 *     24   40  reserved      byte[40]
 * </pre>
 */
public final class P2mHeader extends Flyweight<P2mHeader> {
    /** "FP2M". */
    public static final int MAGIC = 0x4D325046;
    public static final int VERSION = 1;
    public static final int STATE_RUNNING = 0, STATE_PAUSED = 1, STATE_CRASHED = 2, STATE_DYING = 3;
    /** Entry bits 0-7: the p2m type (Xen 4.12 numbering); bits 16-31: guest accesses in flight. */
    public static final int TYPE_MASK = 0xFF, INFLIGHT_SHIFT = 16, INFLIGHT_ONE = 1 << INFLIGHT_SHIFT;

    public static final StructLayout LAYOUT = struct("fallow_p2m_header",
            u32("magic"),
            u32("version"),
            u64("nr_frames"),
            u32("domain_state"),
            u32("pad"),
            array("reserved", 40, U8));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int MAGIC_OFFSET = offsetOf(LAYOUT, "magic");
    public static final int VERSION_OFFSET = offsetOf(LAYOUT, "version");
    public static final int NR_FRAMES_OFFSET = offsetOf(LAYOUT, "nr_frames");
    public static final int DOMAIN_STATE_OFFSET = offsetOf(LAYOUT, "domain_state");

    /** Byte offset of gfn {@code g}'s entry in the file. */
    public static long entryOffset(long gfn) { return SIZE + 4 * gfn; }

    /** Size of a p2m file of {@code nrFrames} entries. */
    public static long fileSize(long nrFrames) { return entryOffset(nrFrames); }

    public static int typeOf(int entry) { return entry & TYPE_MASK; }

    public static int inflightOf(int entry) { return entry >>> INFLIGHT_SHIFT; }

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

    /** A header that starts a valid p2m view (magic and version right). */
    public boolean valid() { return magic() == Integer.toUnsignedLong(MAGIC) && version() == VERSION; }
}
