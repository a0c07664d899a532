package org.fallow.abi.xen;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The one base of Fallow's Agrona/SBE-style flyweights, over Xen structs ({@code org.fallow.abi.xen}) and Fallow's own
 * wire structs ({@code org.fallow.abi.wire}: frame header, HELLO, ..., the p2m header) alike: a reusable view of
 * {@link #size()} bytes at an offset in a {@link MemorySegment}, laid out by the subclass's {@link #layout()} (from
 * which the offsets, {@link #toString()} and the class comment's diagram ({@link LayoutDiagram}) are drawn). All accesses are explicitly little-endian and unaligned-safe (a struct can sit anywhere in a
 * guest page or frame). Unsigned C types are widened in getters: u8/u16 to {@code int}, u32 to {@code long};
 * u64 is returned as the raw {@code long} bit pattern.
 */
public abstract class Flyweight<F extends Flyweight<F>> {
    private static final ValueLayout.OfShort U16 = XenLayouts.U16_UNALIGNED;
    private static final ValueLayout.OfInt U32 = XenLayouts.U32_UNALIGNED;
    private static final ValueLayout.OfLong U64 = XenLayouts.U64_UNALIGNED;

    private MemorySegment segment = MemorySegment.NULL;
    private long base;

    /** The C struct's size in bytes ({@code sizeof}). */
    public abstract int size();

    /** The struct's layout (C member names, nested unions). */
    public abstract StructLayout layout();

    /** Points this flyweight at {@code seg[offset, offset + size())}; throws if that range is outside the segment. */
    public F wrap(MemorySegment seg, long offset) {
        Objects.requireNonNull(seg, "seg");
        Objects.checkFromIndexSize(offset, size(), seg.byteSize());
        this.segment = seg;
        this.base = offset;
        return self();
    }

    /** Points this flyweight at the start of {@code bytes} (which must hold at least {@link #size()} bytes). */
    public F wrap(byte[] bytes) { return wrap(MemorySegment.ofArray(bytes), 0); }

    /** Wraps a fresh zeroed heap segment of {@link #size()} bytes. */
    public F wrapNew() {
        return wrap(MemorySegment.ofArray(new byte[size()]), 0);
    }

    /** Wraps a fresh zeroed native segment of {@link #size()} bytes owned by {@code arena}. */
    public F allocate(Arena arena) {
        return wrap(arena.allocate(size(), 8), 0);
    }

    public MemorySegment segment() { return segment; }

    public long offset() { return base; }

    /** The struct's bytes as a slice (a view, not a copy). */
    public MemorySegment slice() { return segment.asSlice(base, size()); }

    /** Zeroes the struct, as {@code memset(p, 0, sizeof *p)}. */
    public F clear() {
        slice().fill((byte) 0);
        return self();
    }

    /** Copies the struct's bytes into a new array. */
    public byte[] toBytes() { return copyOut(0, size()); }

    /** Overwrites the struct with {@code bytes} (exactly {@link #size()} of them). */
    public F fromBytes(byte[] bytes) {
        if (bytes.length != size()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " needs " + size() + " bytes, got " + bytes.length);
        }
        copyIn(0, bytes);
        return self();
    }

    /** Hex dump of the struct's bytes, lowercase, no separators. */
    public String toHex() { return HexFormat.of().formatHex(toBytes()); }

    /**
     * {@code name{field=value, ...}} of every scalar member inside {@link #size()} (union members all shown), for
     * log lines; unwrapped flyweights print {@code name{unwrapped}}.
     */
    @Override
    public String toString() { return describe(f -> true); }

    /** {@code name{field=value, ...}} of the scalar members {@code which} accepts, drawn from the layout. */
    protected final String describe(java.util.function.Predicate<LayoutField> which) {
        String name = layout().name().orElse(getClass().getSimpleName());
        if (segment.byteSize() == 0) return name + "{unwrapped}";
        StringBuilder b = new StringBuilder(name).append('{');
        String sep = "";
        for (LayoutField f : LayoutFields.leaves(layout())) {
            if (f.offset() + f.size() > size() || !f.isScalar() || !which.test(f)) continue;
            long v = StructCodec.read(segment, base + f.offset(), (int) f.size());
            b.append(sep).append(f.path()).append('=').append(StructCodec.format(v, (int) f.size()));
            sep = ", ";
        }
        return b.append('}').toString();
    }

    @SuppressWarnings("unchecked")
    protected final F self() { return (F) this; }

    protected final int getU8(long off) { return Byte.toUnsignedInt(segment.get(ValueLayout.JAVA_BYTE, base + off)); }
    protected final void putU8(long off, int v) { segment.set(ValueLayout.JAVA_BYTE, base + off, (byte) v); }
    protected final int getU16(long off) { return Short.toUnsignedInt(segment.get(U16, base + off)); }
    protected final void putU16(long off, int v) { segment.set(U16, base + off, (short) v); }
    protected final long getU32(long off) { return Integer.toUnsignedLong(segment.get(U32, base + off)); }
    protected final int getI32(long off) { return segment.get(U32, base + off); }
    protected final void putU32(long off, long v) { segment.set(U32, base + off, (int) v); }
    protected final long getU64(long off) { return segment.get(U64, base + off); }
    protected final void putU64(long off, long v) { segment.set(U64, base + off, v); }
    /** {@code len} bytes at {@code off}, copied out (byte arrays such as a domain handle). */
    protected final byte[] getBytes(long off, int len) {
        Objects.checkFromIndexSize(off, len, size());
        return copyOut(off, len);
    }
    protected final void putBytes(long off, byte[] v) {
        Objects.checkFromIndexSize(off, v.length, size());
        copyIn(off, v);
    }
    /**
     * {@code len} bytes at {@code off}, copied out, where {@code off} may lie past {@link #size()}: the variable-length
     * tail of a wire struct (HELLO's path, ERROR's text), bounds-checked against the wrapped segment.
     */
    protected final byte[] getTail(long off, int len) {
        Objects.checkFromIndexSize(base + off, len, segment.byteSize());
        return copyOut(off, len);
    }
    /** Writes a variable-length tail (see {@link #getTail}), bounds-checked against the wrapped segment. */
    protected final void putTail(long off, byte[] v) {
        Objects.checkFromIndexSize(base + off, v.length, segment.byteSize());
        copyIn(off, v);
    }

    /*
     * Byte arrays go in and out through MemorySegment.copy's array overloads (one Unsafe.copyMemory), not through the
     * segment-to-segment copy of a MemorySegment.ofArray wrapper, whose copies under 64 bytes run a Java loop of 8-byte
     * words. In a long-warmed test JVM (JDK 25.0.3) that loop's compiled code left every other word zero: a HELLO
     * reached the hypervisor with arena path "/tmp/flm" + 8 NULs + "88336718" + 8 NULs + "1630-19.arena" (words 1 and
     * 3 of 5 lost), the 1-in-8 CI flake of WireGuestTest/PodOverSocketTest.
     */
    private byte[] copyOut(long off, int len) {
        byte[] out = new byte[len];
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, base + off, out, 0, len);
        return out;
    }

    private void copyIn(long off, byte[] v) {
        MemorySegment.copy(v, 0, segment, ValueLayout.JAVA_BYTE, base + off, v.length);
    }
}
