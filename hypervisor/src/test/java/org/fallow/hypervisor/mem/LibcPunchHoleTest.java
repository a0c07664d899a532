package org.fallow.hypervisor.mem;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** madvise(MADV_REMOVE) takes a raw address: Libc refuses a segment whose mapping is gone or a length past its end. */
class LibcPunchHoleTest {
    @Test void aClosedSegmentIsRefusedBeforeAnyNativeCall() {
        Arena arena = Arena.ofShared();
        MemorySegment seg = arena.allocate(4096, 4096);
        arena.close();
        assertThrows(IllegalStateException.class, () -> Libc.punchHole(seg, 4096));
    }

    @Test void aLengthPastTheSegmentIsRefused() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(4096, 4096);
            assertThrows(IndexOutOfBoundsException.class, () -> Libc.punchHole(seg, 8192));
            assertThrows(IndexOutOfBoundsException.class, () -> Libc.punchHole(seg, -1));
        }
    }
}
