package org.fallow.abi.wire;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;

/**
 * Base of the wire flyweights: a view of one struct at {@code offset} in a {@link MemorySegment}. Every access is
 * explicitly little-endian and unaligned, so a flyweight works over heap arrays, direct buffers and mapped files.
 * Flyweights are reusable: {@link #wrap} points one at another struct without allocating.
 */
public abstract class Flyweight<T extends Flyweight<T>> {
    static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;

    MemorySegment seg;
    long off;

    /** Points this flyweight at the struct starting at byte {@code offset} of {@code segment}. */
    @SuppressWarnings("unchecked")
    public T wrap(MemorySegment segment, long offset) {
        this.seg = segment;
        this.off = offset;
        return (T) this;
    }

    /** Points this flyweight at the start of a byte array. */
    public T wrap(byte[] bytes) { return wrap(MemorySegment.ofArray(bytes), 0); }

    public MemorySegment segment() { return seg; }

    public long offset() { return off; }

    final int u8(long at) { return seg.get(U8, off + at) & 0xFF; }
    final void u8(long at, int v) { seg.set(U8, off + at, (byte) v); }
    final int u16(long at) { return seg.get(U16_UNALIGNED, off + at) & 0xFFFF; }
    final void u16(long at, int v) { seg.set(U16_UNALIGNED, off + at, (short) v); }
    final int i32(long at) { return seg.get(U32_UNALIGNED, off + at); }
    final long u32(long at) { return seg.get(U32_UNALIGNED, off + at) & 0xFFFF_FFFFL; }
    final void i32(long at, int v) { seg.set(U32_UNALIGNED, off + at, v); }
    final long i64(long at) { return seg.get(U64_UNALIGNED, off + at); }
    final void i64(long at, long v) { seg.set(U64_UNALIGNED, off + at, v); }

    final byte[] bytes(long at, int len) {
        byte[] b = new byte[len];
        MemorySegment.copy(seg, U8, off + at, b, 0, len);
        return b;
    }

    final void bytes(long at, byte[] b) { MemorySegment.copy(b, 0, seg, U8, off + at, b.length); }
}
