package org.fallow.guest.hv;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The guest side of the p2m access protocol (PROTOCOL.md §3.3), with the hypervisor's part played by the test. */
class SharedPhysMemTest {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment ram = arena.allocate(4 * 4096, 4096);
    private final MemorySegment p2m = arena.allocate(64 + 4 * 4, 8);

    SharedPhysMemTest() {
        p2m.set(INT, 0, 0x4D325046);
        p2m.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, 4L);
        p2m.set(INT, 64, 0);       // gfn 0 ram_rw
        p2m.set(INT, 68, 6);       // gfn 1 populate_on_demand
        p2m.set(INT, 72, 1);       // gfn 2 invalid
        p2m.set(INT, 76, 10);      // gfn 3 paged
    }

    @Test void presentFramesAreAccessedAndTheInflightCountRestored() {
        SharedPhysMem m = new SharedPhysMem(ram, p2m, (g, w) -> { throw new AssertionError("no fault expected"); }, null);
        m.writeLong(8, 0x1122334455667788L);
        assertEquals(0x1122334455667788L, m.readLong(8));
        assertEquals(0x88, ram.get(ValueLayout.JAVA_BYTE, 8) & 0xFF);
        assertEquals(0, p2m.get(INT, 64));
    }

    @Test void nonPresentFramesFaultThenRetry() {
        List<Long> faults = new ArrayList<>();
        SharedPhysMem m = new SharedPhysMem(ram, p2m, (g, w) -> {
            faults.add(g);
            assertEquals(0, p2m.get(INT, 64 + 4 * (int) (long) g) >>> 16, "no in-flight access while faulting");
            p2m.set(INT, 64 + 4 * (int) (long) g, 0); // the hypervisor populates it
            return 0;
        }, null);
        m.zeroPage(1);
        m.writeInt(3 * 4096 + 4, 7);
        assertEquals(List.of(1L, 3L), faults);
        assertEquals(7, m.readInt(3 * 4096 + 4));
        assertEquals(2, m.faults());
    }

    @Test void failedFaultsThrow() {
        SharedPhysMem m = new SharedPhysMem(ram, p2m, (g, w) -> -14, null);
        assertThrows(PhysMemFault.class, () -> m.readLong(2 * 4096));
        assertEquals(1, p2m.get(INT, 72), "in-flight count restored");
        assertThrows(PhysMemFault.class, () -> m.readLong(4 * 4096));
    }
}
