package org.fallow.abi.xen;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;
import java.lang.foreign.UnionLayout;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Building blocks for the Xen struct layouts: naturally aligned little-endian value layouts (so that
 * {@link MemoryLayout#structLayout} rejects a member at an offset a C compiler would not use) and helpers that
 * resolve a dotted C member path such as {@code u.gen.oid} to its byte offset and size.
 */
public final class XenLayouts {
    private XenLayouts() {}

    public static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    public static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT.withOrder(LE);
    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT.withOrder(LE);
    public static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG.withOrder(LE);
    // The aligned layouts above describe structs; for raw reads/writes at arbitrary offsets use these:
    public static final ValueLayout.OfShort U16_UNALIGNED = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    public static final ValueLayout.OfInt U32_UNALIGNED = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    public static final ValueLayout.OfLong U64_UNALIGNED = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);

    public static MemoryLayout u8(String name) { return U8.withName(name); }
    public static MemoryLayout u16(String name) { return U16.withName(name); }
    public static MemoryLayout u32(String name) { return U32.withName(name); }
    /** A signed C int32 ({@code int32_t}); same bytes as u32, the flyweight getter returns it signed. */
    public static MemoryLayout i32(String name) { return U32.withName(name); }
    public static MemoryLayout u64(String name) { return U64.withName(name); }
    /** A 64-bit guest handle ({@code XEN_GUEST_HANDLE(x)} / {@code XEN_GUEST_HANDLE_64(x)} on x86_64). */
    public static MemoryLayout handle(String name) { return U64.withName(name); }
    public static MemoryLayout array(String name, long count, MemoryLayout element) {
        return MemoryLayout.sequenceLayout(count, element).withName(name);
    }
    /** Compiler-inserted padding: no C name, never printed as a field. */
    public static MemoryLayout pad(long bytes) { return MemoryLayout.paddingLayout(bytes); }
    public static StructLayout struct(String name, MemoryLayout... members) {
        return MemoryLayout.structLayout(members).withName(name);
    }
    public static UnionLayout union(String name, MemoryLayout... members) {
        return MemoryLayout.unionLayout(members).withName(name);
    }

    private static PathElement[] path(String dotted) {
        List<PathElement> elements = new ArrayList<>();
        for (String part : dotted.split("\\.")) elements.add(PathElement.groupElement(part));
        return elements.toArray(PathElement[]::new);
    }

    /** Byte offset of a dotted member path, e.g. {@code offsetOf(TmemOp.LAYOUT, "u.gen.cmfn") == 48}. */
    public static int offsetOf(MemoryLayout root, String dotted) {
        return Math.toIntExact(root.byteOffset(path(dotted)));
    }

    /** Byte size of a dotted member path (a whole array for an array member). */
    public static int sizeOf(MemoryLayout root, String dotted) {
        return Math.toIntExact(root.select(path(dotted)).byteSize());
    }
}
