package org.fallow.hypervisor.mem;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** madvise(MADV_REMOVE) acts on an address: Libc refuses a segment whose mapping is gone, a heap segment or a length past its end. */
class LibcPunchHoleTest {
    @Test void aClosedSegmentIsRefusedBeforeAnyNativeCall() {
        Arena arena = Arena.ofShared();
        MemorySegment seg = arena.allocate(4096, 4096);
        arena.close();
        assertThrows(IllegalStateException.class, () -> Libc.punchHole(seg, 4096));
    }

    @Test void aHeapSegmentIsRefused() {
        // its address() is an offset into a Java array: madvise would be handed a meaningless low address
        assertThrows(IllegalArgumentException.class, () -> Libc.punchHole(MemorySegment.ofArray(new byte[8192]), 4096));
    }

    @Test void aLengthPastTheSegmentIsRefused() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(4096, 4096);
            assertThrows(IndexOutOfBoundsException.class, () -> Libc.punchHole(seg, 8192));
            assertThrows(IndexOutOfBoundsException.class, () -> Libc.punchHole(seg, -1));
        }
    }
}
