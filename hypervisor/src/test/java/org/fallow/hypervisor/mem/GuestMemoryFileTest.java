package org.fallow.hypervisor.mem;

import org.fallow.abi.wire.P2mHeader;
import org.fallow.abi.wire.P2mPodExtent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class GuestMemoryFileTest {
    @TempDir Path dir;

    @Test void punchingFramesGivesTheirBlocksBackAndTheyReadZero() throws Exception {
        try (GuestMemoryFile f = GuestMemoryFile.create(dir.resolve("dom1.mem"), 256)) {
            assertEquals(0, f.allocatedBytes(), "a new memory file is all holes");
            for (long g = 0; g < 256; g++) f.frame(g).fill((byte) 0x5A);
            long full = f.allocatedBytes();
            assertTrue(full >= 256L * 4096, "256 dirtied frames are backed: " + full);
            f.punch(0, 192);
            long after = f.allocatedBytes();
            assertTrue(after <= full - 192L * 4096, "punching 192 frames frees their blocks: " + full + " -> " + after);
            assertTrue(f.isZero(5) && f.quickZero(191));
            assertFalse(f.isZero(192));
            assertEquals((byte) 0x5A, f.frame(255).get(ValueLayout.JAVA_BYTE, 4095));
        }
    }

    @Test void zeroChecksLookAtTheQuickPrefixAndTheWholePage() throws Exception {
        try (GuestMemoryFile f = GuestMemoryFile.create(dir.resolve("dom2.mem"), 4)) {
            f.frame(1).set(ValueLayout.JAVA_BYTE, 4000, (byte) 1);
            assertTrue(f.quickZero(1));
            assertFalse(f.isZero(1));
            f.frame(2).set(ValueLayout.JAVA_BYTE, 127, (byte) 1);
            assertFalse(f.quickZero(2));
            assertTrue(f.isZero(3));
        }
    }

    @Test void growKeepsContentsAndAddsHoles() throws Exception {
        try (GuestMemoryFile f = GuestMemoryFile.create(dir.resolve("dom3.mem"), 0)) {
            assertEquals(0, f.nrFrames());
            f.grow(2);
            f.frame(1).set(ValueLayout.JAVA_LONG, Long.BYTES, 42L); // the page's second word
            f.grow(8);
            assertEquals(8, f.nrFrames());
            assertEquals(42L, f.frame(1).get(ValueLayout.JAVA_LONG, Long.BYTES));
            assertTrue(f.isZero(7));
        }
    }

    @Test void p2mFileHasTheProtocolHeaderAndUnsetEntries() throws Exception {
        Path p = dir.resolve("dom4.p2m");
        try (P2m m = P2m.create(p, 3)) {
            m.grow(5);
            assertEquals(P2mType.INVALID, m.type(2), "a never-written entry is invalid");
            assertTrue(m.cas(2, 0, P2m.entry(P2mType.RAM_RW)));
            m.addInflight(2, 1);
            assertFalse(m.takeFromGuest(2, P2mType.POPULATE_ON_DEMAND), "an access in flight blocks the take");
            m.addInflight(2, -1);
            assertTrue(m.takeFromGuest(2, P2mType.POPULATE_ON_DEMAND));
            m.addInflight(4, 3);
            assertEquals(P2mType.INVALID, m.setType(4, P2mType.RAM_PAGED));
            assertTrue(m.addPodExtent(0, 2));
            assertTrue(m.addPodExtent(2, 3), "an extent that continues the last raises its end");
            assertEquals(P2mType.POPULATE_ON_DEMAND, m.type(1), "an unset entry inside a PoD extent");
            assertEquals(P2mType.POPULATE_ON_DEMAND, m.type(2), "an explicit entry wins over the extent");
            assertEquals(P2mType.INVALID, m.type(3), "an unset entry outside the extents");
            m.domainState(P2mHeader.STATE_CRASHED);
            ByteBuffer b = ByteBuffer.allocate(4096 + 4 * 5).order(ByteOrder.LITTLE_ENDIAN);
            try (FileChannel ch = FileChannel.open(p)) {
                assertEquals(4096 + 4 * 5, ch.size());
                ch.read(b, 0);
            }
            // the file layout of docs/PROTOCOL.md, pinned once; the bytes are then read at abi's offsets
            assertEquals(List.of(0, 4, 8, 16, 20, 64, 4096), List.of(P2mHeader.MAGIC_OFFSET, P2mHeader.VERSION_OFFSET,
                    P2mHeader.NR_FRAMES_OFFSET, P2mHeader.DOMAIN_STATE_OFFSET, P2mHeader.NR_POD_EXTENTS_OFFSET,
                    P2mHeader.POD_EXTENTS_OFFSET, P2mHeader.SIZE), "fallow_p2m_header offsets and size");
            assertEquals(List.of(0, 8, 16), List.of(P2mPodExtent.FIRST_GFN_OFFSET, P2mPodExtent.END_GFN_OFFSET,
                    P2mPodExtent.SIZE), "fallow_p2m_pod_extent offsets and size");
            assertEquals(List.of(4096L, 4104L, 4116L), List.of(P2mHeader.entryOffset(0), P2mHeader.entryOffset(2),
                    P2mHeader.entryOffset(5)), "entry g is the le32 at 4096 + 4g");
            assertEquals(P2mHeader.MAGIC, b.getInt(P2mHeader.MAGIC_OFFSET));
            assertEquals(2, b.getInt(P2mHeader.VERSION_OFFSET), "version");
            assertEquals(5L, b.getLong(P2mHeader.NR_FRAMES_OFFSET));
            assertEquals(2, b.getInt(P2mHeader.DOMAIN_STATE_OFFSET));
            assertEquals(1, b.getInt(P2mHeader.NR_POD_EXTENTS_OFFSET), "nr_pod_extents: one, raised in place");
            for (int i = P2mHeader.NR_POD_EXTENTS_OFFSET + 4; i < P2mHeader.POD_EXTENTS_OFFSET; i += 4)
                assertEquals(0, b.getInt(i), "reserved header bytes at " + i);
            long extent0 = P2mHeader.podExtentOffset(0);
            assertEquals(0L, b.getLong((int) extent0 + P2mPodExtent.FIRST_GFN_OFFSET), "pod_extents[0].first_gfn");
            assertEquals(3L, b.getLong((int) extent0 + P2mPodExtent.END_GFN_OFFSET), "pod_extents[0].end_gfn");
            for (int i = (int) P2mHeader.podExtentOffset(1); i < P2mHeader.SIZE; i += 8)
                assertEquals(0L, b.getLong(i), "unused extent bytes at " + i);
            assertEquals(0, b.getInt((int) P2mHeader.entryOffset(0)), "gfn 0: unset");
            assertEquals(P2mType.POPULATE_ON_DEMAND + 1, b.getInt((int) P2mHeader.entryOffset(2)), "stored type = Xen type + 1");
            assertEquals((3 << 16) | (P2mType.RAM_PAGED + 1), b.getInt((int) P2mHeader.entryOffset(4)),
                    "type byte changed, in-flight count kept");
        }
    }
}
