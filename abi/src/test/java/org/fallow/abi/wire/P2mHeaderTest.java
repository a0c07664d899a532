package org.fallow.abi.wire;

import org.fallow.abi.xen.P2mType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.fallow.abi.xen.XenLayouts.U32;
import static org.junit.jupiter.api.Assertions.*;

/** The p2m view's encoding (PROTOCOL §3.3): stored type = Xen type + 1, unset entries decided by the PoD extents. */
class P2mHeaderTest {
    @Test
    void layoutPutsEntriesAfterAPageOfHeaderAndExtents() {
        assertEquals(4096, P2mHeader.SIZE);
        assertEquals(20, P2mHeader.NR_POD_EXTENTS_OFFSET);
        assertEquals(64, P2mHeader.POD_EXTENTS_OFFSET);
        assertEquals(16, P2mPodExtent.SIZE);
        assertEquals(64 + 16 * 251, P2mHeader.podExtentOffset(251));
        assertEquals(4096 + 4 * 7, P2mHeader.entryOffset(7));
        assertEquals(4096 + 4L * (1 << 24), P2mHeader.fileSize(1 << 24));
    }

    @Test
    void entriesEncodeTheTypePlusOneAndKeepTheInflightCount() {
        assertEquals(1, P2mHeader.stored(P2mType.P2M_RAM_RW));
        assertEquals(2, P2mHeader.stored(P2mType.P2M_INVALID));
        assertEquals(7, P2mHeader.stored(P2mType.P2M_POPULATE_ON_DEMAND));
        int w = P2mHeader.withType(3 * P2mHeader.INFLIGHT_ONE, P2mType.P2M_RAM_PAGED);
        assertEquals(0x3000B, w);
        assertEquals(P2mType.P2M_RAM_PAGED, P2mHeader.typeOf(w));
        assertEquals(3, P2mHeader.inflightOf(w));
        assertEquals(P2mType.P2M_RAM_RW, P2mHeader.typeOf(P2mHeader.withType(w, P2mType.P2M_RAM_RW)));
        assertTrue(P2mHeader.unset(P2mHeader.INFLIGHT_ONE), "a guest's count on an unset entry leaves it unset");
        assertEquals(P2mType.P2M_INVALID, P2mHeader.typeOf(0), "an unset word alone reads invalid");
    }

    @Test
    void typeAtLooksUpUnsetEntriesInThePodExtents() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment view = a.allocate(P2mHeader.fileSize(64), 8);
            P2mHeader h = new P2mHeader().wrap(view, 0).magic(P2mHeader.MAGIC).version(P2mHeader.VERSION).nrFrames(64);
            assertTrue(h.valid());
            P2mPodExtent e = new P2mPodExtent();
            h.podExtent(0, e).firstGfn(8).endGfn(16);
            h.podExtent(1, e).firstGfn(40).endGfn(48);
            assertEquals(P2mType.P2M_INVALID, P2mHeader.typeAt(view, 10), "an extent beyond nr_pod_extents is not read");
            h.nrPodExtents(2);
            assertEquals(2, h.nrPodExtents());
            assertEquals(P2mType.P2M_INVALID, P2mHeader.typeAt(view, 7));
            assertEquals(P2mType.P2M_POPULATE_ON_DEMAND, P2mHeader.typeAt(view, 8));
            assertEquals(P2mType.P2M_POPULATE_ON_DEMAND, P2mHeader.typeAt(view, 15));
            assertEquals(P2mType.P2M_INVALID, P2mHeader.typeAt(view, 16), "end_gfn is exclusive");
            assertEquals(P2mType.P2M_POPULATE_ON_DEMAND, P2mHeader.typeAt(view, 47));
            assertTrue(P2mHeader.inPodExtent(view, 40));
            view.set(U32, P2mHeader.entryOffset(9), P2mHeader.withType(0, P2mType.P2M_RAM_RW));
            view.set(U32, P2mHeader.entryOffset(10), P2mHeader.withType(0, P2mType.P2M_INVALID));
            assertEquals(P2mType.P2M_RAM_RW, P2mHeader.typeAt(view, 9), "an explicit entry wins over the extent");
            assertEquals(P2mType.P2M_INVALID, P2mHeader.typeAt(view, 10), "an explicit invalid too");
            assertThrows(IndexOutOfBoundsException.class, () -> h.podExtent(P2mHeader.POD_EXTENTS_MAX, e));
        }
    }
}
