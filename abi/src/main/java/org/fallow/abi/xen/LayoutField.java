package org.fallow.abi.xen;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.ValueLayout;

/**
 * One named C member of a struct layout: its dotted path from the struct ({@code u.gen.oid}), byte offset from the
 * start of the struct, byte size and layout. Arrays are one field covering the whole array ({@code u.creat.uuid},
 * 16 bytes), exactly what {@code offsetof}/{@code sizeof} say about the C member; nested structs and unions yield a
 * field for themselves and one per member.
 */
public record LayoutField(String path, long offset, long size, MemoryLayout layout) {
    public boolean isGroup() { return layout instanceof GroupLayout; }

    public boolean isScalar() { return layout instanceof ValueLayout; }

    /** An array of scalars ({@code uint64_t uuid[2]}, {@code uint8_t handle[16]}). */
    public boolean isScalarArray() {
        return layout instanceof SequenceLayout s && s.elementLayout() instanceof ValueLayout;
    }

    /** An array whose elements are structs/unions (e.g. {@code vm_event_sring.ring}). */
    public boolean isGroupArray() {
        return layout instanceof SequenceLayout s && !(s.elementLayout() instanceof ValueLayout);
    }

    public long elementCount() { return layout instanceof SequenceLayout s ? s.elementCount() : 1; }

    public long elementSize() {
        return layout instanceof SequenceLayout s ? s.elementLayout().byteSize() : layout.byteSize();
    }
}
