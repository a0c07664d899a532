package org.fallow.guest.mem;

import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.mem.MemConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_max_mem;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_populate_physmap;
import static org.junit.jupiter.api.Assertions.*;

@Timeout(60)
class GuestMemoryTest {
    @TempDir Path dir;

    @Test void followsTheGfnSpaceWhenMaxMemGrows() throws Exception {
        try (InProcessHv hv = new InProcessHv(dir, 4096)) {
            int d = hv.ts.createHvmDomain(new byte[16], 1, 64);
            assertEquals(64, hv.ts.reservation(XENMEM_populate_physmap, d, java.util.stream.LongStream.range(0, 64).toArray(), 0, 0));
            try (GuestMemory gm = hv.guestMemory(d)) {
                assertEquals(64, gm.frames());
                gm.writeLong(63, 8, 0x1234, 0);
                assertEquals(0, hv.ts.domctl(XEN_DOMCTL_max_mem, d, 256 * 4));
                assertEquals(1, hv.ts.reservation(XENMEM_populate_physmap, d, new long[] {200}, 0, 0));
                gm.writeLong(200, 0, 77, 0);
                assertEquals(256, gm.frames(), "remapped to the new nr_frames");
                assertEquals(77, gm.readLong(200, 0, 0));
                assertEquals(0x1234, gm.readLong(63, 8, 0), "old frames keep their data after the remap");
                assertEquals(0, gm.faults(), "RAM frames never fault");
            }
        }
    }

    @Test void accessesToNonMemoryFailWithTheHypervisorsErrno() throws Exception {
        try (InProcessHv hv = new InProcessHv(dir, 4096)) {
            int d = hv.buildGuest(512, 256);
            try (GuestMemory gm = hv.guestMemory(d)) {
                GuestAccessException e = assertThrows(GuestAccessException.class, () -> gm.readLong(0xB0, 0, 1));
                assertEquals(-XenErrno.EFAULT, e.status(), "the VGA hole");
                assertEquals(0xB0, e.gfn());
                assertThrows(GuestAccessException.class, () -> gm.readLong(1 << 20, 0, 0), "beyond the gfn space");
                assertEquals(0, gm.readLong(0x100, 0, 1), "a PoD frame populates on first touch and reads zero");
                assertEquals(2, gm.faults(), "the VGA-hole fault and the populate");
                assertEquals(GuestMemory.TYPE_RAM_RW, gm.p2mType(0x100));
                assertEquals(GuestMemory.STATE_RUNNING, gm.domainState());
            }
        }
    }
}
