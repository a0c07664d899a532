package org.fallow.xc.transport;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.XenErrno;
import org.fallow.abi.wire.DomainEvent;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.GuestAddressSpace;
import org.fallow.hypervisor.core.GuestFault;
import org.fallow.hypervisor.testing.ServedHypervisor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The client's guest flavour, event channels and unsolicited frames against an in-process hypervisor (domains are
 * put into its table directly, since domain creation belongs to the guest-memory subsystem).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClientFlavoursTest {
    private static final byte[] SECRET = "fallow-secret-01".getBytes();

    private ServedHypervisor hv;
    private Domain dom;
    private final Arena guestArena = Arena.ofShared();

    @BeforeEach
    void start() throws Exception {
        hv = ServedHypervisor.start(64);
        dom = new Domain(5, SECRET, 1);
        // a stand-in for the memory helper's guest-physical address space: 16 KiB at gpa 0
        MemorySegment ram = guestArena.allocate(16384, 4096);
        dom.attach(GuestAddressSpace.class, (h, len) -> {
            if (h < 0 || len < 0 || h + len > ram.byteSize()) throw new GuestFault(h, len, "beyond guest RAM");
            return ram.asSlice(h, len);
        });
        hv.core().dispatcher().submit(() -> hv.core().domains().add(dom)).get();
    }

    @AfterEach
    void stop() throws Exception {
        hv.close();
        guestArena.close();
    }

    private Path sock() { return hv.server().socket(); }

    @Test
    void guestHypercallsUseItsOwnMemoryAsHandles() throws Exception {
        // hypercall 42 reads a u64 at the guest handle args[0]
        hv.core().registerHypercall(42, (c, a) -> {
            try {
                return c.memory().map(a[0], 8).get(U64_UNALIGNED, 0);
            } catch (GuestFault f) {
                return -XenErrno.EFAULT;
            }
        });
        hv.core().dispatcher().submit(() -> {
            dom.part(GuestAddressSpace.class).map(4096, 8).set(U64_UNALIGNED, 0, 0xC0FFEEL);
            MemorySegment domctl = dom.part(GuestAddressSpace.class).map(8192, 144);
            domctl.set(ValueLayout.JAVA_INT_UNALIGNED, 0, 2);    // XEN_DOMCTL_destroydomain
            domctl.set(ValueLayout.JAVA_INT_UNALIGNED, org.fallow.abi.xen.XenDomctl.INTERFACE_VERSION_OFFSET, 0x11);
            return null;
        }).get();
        try (HypervisorConnection g = HypervisorConnection.guest(sock(), 5, SECRET, AbiProfile.TMEM_2009)) {
            assertEquals(5, g.domid());
            assertEquals(0xC0FFEEL, g.hypercall(42, 4096));
            assertEquals(-XenErrno.EFAULT, g.hypercall(42, 16384));
            assertEquals(-XenErrno.EFAULT, g.hypercall(36, 1L << 20), "domctl copy-in fault comes first, as in Xen");
            assertEquals(-XenErrno.EPERM, g.hypercall(36, 8192), "control ops are the toolstack's");
        }
    }

    @Test
    void guestMemFaultBlocksUntilFaultDone() throws Exception {
        CompletableFuture<Runnable> later = new CompletableFuture<>();
        hv.core().faultHandler((d, gfn, write, vcpu, reply) -> later.complete(gfn == 7 ? reply::resolved : () -> reply.failed(-XenErrno.ENOENT, "no")));
        try (HypervisorConnection g = HypervisorConnection.guest(sock(), 5, SECRET, AbiProfile.XEN_4_12)) {
            CompletableFuture<Long> status = CompletableFuture.supplyAsync(() -> {
                try {
                    return g.memFault(7, true, 0);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            Runnable complete = later.get(30, TimeUnit.SECONDS);
            assertFalse(status.isDone(), "the vCPU waits for FAULT_DONE");
            hv.core().dispatcher().execute(complete);
            assertEquals(0L, status.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void wrongSecretIsRefusedWithEacces() {
        WireErrorException e = assertThrows(WireErrorException.class,
                () -> HypervisorConnection.guest(sock(), 5, "not-the-secret!!".getBytes(), AbiProfile.XEN_4_12));
        assertEquals(-XenErrno.EACCES, e.errno());
    }

    @Test
    void eventChannelNotificationsAndUnsolicitedErrors() throws Exception {
        CountDownLatch kicked = new CountDownLatch(1);
        hv.core().registerHypercall(41, (c, a) -> hv.core().eventChannels().allocate(5, c.peer(), p -> kicked.countDown()));
        try (HypervisorConnection t = HypervisorConnection.toolstack(sock(), hv.dir(), AbiProfile.XEN_4_12, 8192)) {
            LinkedBlockingQueue<Integer> events = new LinkedBlockingQueue<>();
            LinkedBlockingQueue<WireErrorException> errors = new LinkedBlockingQueue<>();
            t.onEvent(events::add);
            t.onUnsolicitedError(errors::add);
            int port = (int) t.hypercall(41);
            assertTrue(port > 0);
            hv.core().dispatcher().execute(() -> hv.core().eventChannels().notifyRemote(port));
            assertEquals(port, events.poll(30, TimeUnit.SECONDS));
            t.sendEvent(port);
            assertTrue(kicked.await(30, TimeUnit.SECONDS));
            t.sendEvent(port + 1);
            WireErrorException e = errors.poll(30, TimeUnit.SECONDS);
            assertNotNull(e);
            assertEquals(-XenErrno.EINVAL, e.errno());
        }
    }

    @Test
    void guestsHearTheirDomainBeingDestroyedAndPendingCallsFailOnClose() throws Exception {
        try (HypervisorConnection g = HypervisorConnection.guest(sock(), 5, SECRET, AbiProfile.XEN_4_12)) {
            LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();
            g.onDomainEvent((ev, text) -> events.add(ev + ":" + text));
            hv.core().dispatcher().submit(() -> hv.core().domains().destroy(5)).get();
            assertEquals(DomainEvent.DESTROYED + ":domain 5 destroyed", events.poll(30, TimeUnit.SECONDS));
            hv.core().faultHandler((d, gfn, write, vcpu, reply) -> { /* never completes */ });
            hv.hypervisor().close();
            assertThrows(java.io.IOException.class, () -> g.memFault(1, false, 0), "a closed hypervisor fails calls");
        }
    }
}
