package org.fallow.xc.transport;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.abi.wire.DomainEvent;
import org.fallow.abi.xen.MemoryOpConstants;
import org.fallow.abi.xen.XenDomctl;
import org.fallow.xc.XcDomain;
import org.fallow.xc.XcHandle;
import org.fallow.abi.process.HypervisorProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A guest connection to a real domain, toolstack and hypervisor in separate processes: handshake with the domain
 * handle, guest handles in its own memory file, control ops refused, faults answered, xenstore confined to its home,
 * DOMAIN_EVENT on destroy.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GuestOverSocketTest {
    private static final byte[] HANDLE = "guest-over-sock!".getBytes();
    private static HypervisorProcess hv;

    @BeforeAll
    static void start() throws IOException {
        hv = HypervisorProcess.startInTempDir("flg", "--host-mem", "64");
    }

    @AfterAll
    static void stop() throws IOException {
        if (hv != null) hv.deleteRunDir();
    }

    @Test
    void guestLifeOverTheSocket() throws Exception {
        try (XcHandle xc = XcHandle.open(hv.socket(), AbiProfile.XEN_4_12)) {
            XcDomain xd = new XcDomain(xc);
            int domid = (int) xd.xc_domain_create_hvm(HANDLE, 1);
            assertTrue(domid > 0);
            assertEquals(0, xd.xc_domain_setmaxmem(domid, 4096)); // 1024 pages
            assertEquals(0, xd.xc_domain_populate_physmap_exact(domid, 0, 0, LongStream.range(0, 16).toArray()));
            assertEquals(0, xd.xc_domain_populate_physmap_exact(domid, 0, MemoryOpConstants.XENMEMF_populate_on_demand,
                    LongStream.range(100, 110).toArray()));
            assertEquals(0, xd.xc_domain_set_pod_target(domid, 26).rc());

            WireErrorException refused = assertThrows(WireErrorException.class,
                    () -> HypervisorConnection.guest(hv.socket(), domid, "another-handle!!".getBytes(), AbiProfile.XEN_4_12));
            assertEquals(-XenErrno.EACCES, refused.errno());

            try (HypervisorConnection g = HypervisorConnection.guest(hv.socket(), domid, HANDLE, AbiProfile.XEN_4_12);
                 Arena arena = Arena.ofShared();
                 FileChannel fc = FileChannel.open(g.runDir().resolve("dom" + domid + ".mem"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                assertEquals(domid, g.domid());
                assertTrue(g.nrFrames() >= 1024, "HELLO_ACK nr_frames covers max_pages: " + g.nrFrames());
                MemorySegment ram = fc.map(FileChannel.MapMode.READ_WRITE, 0, 16 * 4096L, arena);

                // guest handles are guest-physical addresses in its own memory file
                ram.set(U16_UNALIGNED, 0, (short) Hypercalls.DOMID_SELF);
                assertEquals(16 + 10, g.hypercall(Hypercalls.MEMORY_OP, MemoryOpConstants.XENMEM_current_reservation, 0),
                        "16 RAM pages + a PoD cache of 10");
                // a well-formed domctl from a guest: -EPERM
                new XenDomctl().wrap(ram, 4096).cmd(2).interfaceVersion(0x11);
                assertEquals(-XenErrno.EPERM, g.hypercall(Hypercalls.DOMCTL, 4096));
                assertEquals(-XenErrno.EFAULT, g.hypercall(Hypercalls.DOMCTL, 200 * 4096L), "not RAM");

                // the EPT path: PoD frames are populated on demand, frames outside the gfn space fail
                assertEquals(0, g.memFault(100, true, 0));
                assertEquals(-XenErrno.EFAULT, g.memFault(1L << 40, false, 0), "beyond nr_frames: not guest memory");
                assertEquals(-XenErrno.EFAULT, g.memFault(-1L, true, 0), "gfn 2^64-1");
                assertEquals(0, g.memFault(101, true, 0), "still serving this guest");

                // xenstore: its home only
                g.xenstore().write("data/hello", "world");
                assertEquals("world", xc.xenstore().read("/local/domain/" + domid + "/data/hello"));
                XsClient.XsException e = assertThrows(XsClient.XsException.class, () -> g.xenstore().read("/local/domain/0"));
                assertEquals("EACCES", e.errnoName());

                LinkedBlockingQueue<Integer> events = new LinkedBlockingQueue<>();
                g.onDomainEvent((ev, text) -> events.add(ev));
                assertEquals(0, xd.xc_domain_destroy(domid));
                assertEquals(DomainEvent.DESTROYED, events.poll(60, TimeUnit.SECONDS));
                assertNull(xc.xenstore().readOrNull("/local/domain/" + domid + "/data/hello"), "home removed");
            }
        }
    }
}
