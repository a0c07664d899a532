package org.fallow.xc.transport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class HypercallBufferTest {
    @TempDir Path dir;

    @Test
    void allocatesAlignedZeroedBuffersAndCoalescesFrees() throws Exception {
        Path file = dir.resolve("a.arena");
        try (HypercallBuffer hb = HypercallBuffer.create(file, 8192)) {
            assertEquals(8192, Files.size(file));
            assertEquals(0, hb.base() % 4096, "page-aligned base");
            HypercallBuffer.Buf a = hb.allocate(56);
            HypercallBuffer.Buf b = hb.allocate(100);
            HypercallBuffer.Buf c = hb.allocate(8);
            assertEquals(hb.base(), a.handle());
            assertEquals(hb.base() + 64, b.handle(), "64-byte granules");
            assertEquals(hb.base() + 192, c.handle());
            assertEquals(56, a.segment().byteSize());
            b.segment().fill((byte) 7);
            b.close();
            HypercallBuffer.Buf b2 = hb.allocate(128);
            assertEquals(hb.base() + 64, b2.handle(), "first fit reuses the hole");
            assertEquals(0, b2.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0), "zeroed");
            a.close();
            b2.close();
            c.close();
            assertEquals(8192, hb.freeBytes());
            HypercallBuffer.Buf all = hb.allocate(8192);
            assertEquals(hb.base(), all.handle(), "frees coalesced into one extent");
            assertThrows(IllegalStateException.class, () -> hb.allocate(1));
        }
        assertFalse(Files.exists(file), "arena file removed on close");
    }
}
