package org.fallow.guest.hv;

import org.fallow.abi.wire.P2mHeader;
import org.fallow.abi.xen.P2mType;
import org.fallow.guest.mm.FrameKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The guest's PhysMem over the shared memory files, with the hypervisor's part played by the test. */
class GuestMemoryPhysMemTest {
    static final int FRAMES = 0xC4;

    /**
     * dom7.mem / dom7.p2m: gfn 0 RAM, 1 PoD (an unset entry inside the header's one PoD extent [1, 2)), 0xA0 invalid
     * (VGA hole, unset), 0xC2 invalid (not populated, explicit), rest RAM.
     */
    static Path files(Path dir) throws Exception {
        Files.write(dir.resolve("dom7.mem"), new byte[FRAMES * 4096]);
        byte[] p = new byte[(int) P2mHeader.fileSize(FRAMES)];
        MemorySegment s = MemorySegment.ofArray(p);
        new P2mHeader().wrap(s, 0).magic(P2mHeader.MAGIC).version(P2mHeader.VERSION).nrFrames(FRAMES);
        for (int g = 0; g < FRAMES; g++) s.set(U32_UNALIGNED, P2mHeader.entryOffset(g), P2mHeader.stored(P2mType.P2M_RAM_RW));
        s.set(U64_UNALIGNED, P2mHeader.podExtentOffset(0), 1L);
        s.set(U64_UNALIGNED, P2mHeader.podExtentOffset(0) + 8, 2L);
        s.set(U32_UNALIGNED, P2mHeader.NR_POD_EXTENTS_OFFSET, 1);
        s.set(U32_UNALIGNED, P2mHeader.entryOffset(1), P2mHeader.UNSET);
        s.set(U32_UNALIGNED, P2mHeader.entryOffset(0xA0), P2mHeader.UNSET);
        s.set(U32_UNALIGNED, P2mHeader.entryOffset(0xC2), P2mHeader.stored(P2mType.P2M_INVALID));
        Files.write(dir.resolve("dom7.p2m"), p);
        return dir;
    }

    static void setType(Path dir, int gfn, int type) throws Exception {
        try (var ch = java.nio.channels.FileChannel.open(dir.resolve("dom7.p2m"), java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, type), P2mHeader.entryOffset(gfn));
        }
    }

    @Test void bootMapAccessAndFaults(@TempDir Path dir) throws Exception {
        files(dir);
        List<Long> faults = new ArrayList<>();
        try (GuestMemoryPhysMem m = GuestMemoryPhysMem.map(dir, 7, (gfn, write, vcpu) -> {
            faults.add(gfn);
            try { setType(dir, (int) gfn, P2mHeader.stored(P2mType.P2M_RAM_RW)); } catch (Exception e) { throw new java.io.IOException(e); }
            return 0;
        })) {
            assertEquals(FRAMES, m.frames());
            assertEquals(FrameKind.FREE, m.bootState(0));
            assertEquals(FrameKind.FREE, m.bootState(1), "PoD frames are RAM to the guest");
            assertEquals(FrameKind.HOLE, m.bootState(0xA0));
            assertEquals(FrameKind.BALLOONED, m.bootState(0xC2));
            m.writeLong(8, 0x1122334455667788L);
            assertEquals(0x1122334455667788L, m.readLong(8));
            m.writeInt(4096 + 12, 7); // PoD frame: one fault, then the access
            assertEquals(7, m.readInt(4096 + 12));
            assertEquals(List.of(1L), faults);
            byte[] page = new byte[4096];
            page[5] = 9;
            page[9] = 4;
            m.writePage(3, page);
            m.zero(3 * 4096L, 8);
            byte[] back = new byte[4096];
            m.readPage(3, back);
            assertEquals(0, back[5], "zeroed");
            assertEquals(4, back[9], "beyond the zeroed range");
        }
    }

    @Test void refusedFaultsBecomePhysMemFaults(@TempDir Path dir) throws Exception {
        files(dir);
        try (GuestMemoryPhysMem m = GuestMemoryPhysMem.map(dir, 7, (gfn, write, vcpu) -> -14)) {
            assertThrows(PhysMemFault.class, () -> m.readLong(0xA0 * 4096L));
            assertThrows(PhysMemFault.class, () -> m.readLong((long) FRAMES * 4096));
        }
    }
}
