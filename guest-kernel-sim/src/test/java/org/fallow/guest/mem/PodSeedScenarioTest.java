package org.fallow.guest.mem;

import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.mem.DomainPhysmap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Seed 003's scenario ("xm create debian-hvm maxmem=512 memory=256") scaled down with the same ratio and code path:
 * maxmem 8 MiB (2048 pages), memory 4 MiB (1024 pages), a start-of-day scrubber zeroing all memory on 4 vCPUs.
 */
@Timeout(180)
class PodSeedScenarioTest {
    static final long M = 2048, T = 1024;
    @TempDir Path dir;

    @Test void withABalloonDriverTheGuestBootsUnderPodAndSurvives() throws Exception {
        try (InProcessHv hv = new InProcessHv(dir, 16384)) {
            int d = hv.buildGuest(M, T);
            DomainPhysmap pm = hv.pm(d);
            try (GuestMemory gm = hv.guestMemory(d)) {
                assertEquals(M, gm.frames(), "the guest sees maxmem");
                PodGuest g = new PodGuest(gm, M, 4);
                g.scrub(M, gfn -> true);
                assertEquals(Domain.State.RUNNING, hv.domain(d).state(), "the scrubber ran past the cache thanks to zero-page reclaim");
                assertEquals(T - 0x20, pm.totPages());
                assertTrue(pm.pod().stats().zeroReclaimed > 0);

                long released = g.balloonOut(LongStream.range(T, M).toArray(), (cmd, gpa) -> hv.memoryOp(d, cmd, gpa));
                assertEquals(M - T, released, "the balloon inflates to maxmem - target");
                assertTrue(pm.pod().entryCount() <= pm.pod().count(), "every outstanding PoD entry is backed: " + pm.pod());
                assertTrue(pm.totPages() <= T - 0x20, "tot_pages " + pm.totPages());

                // the guest now uses all the memory it kept, on every vCPU, and reads it all back
                g.onAllVcpus(v -> {
                    for (long gfn = v; gfn < T; gfn += 4)
                        if (PodGuest.ram(gfn) && gfn != PodGuest.STRUCT_GFN && gfn != PodGuest.LIST_GFN) gm.fillPattern(gfn, 77, v);
                });
                g.onAllVcpus(v -> {
                    for (long gfn = v; gfn < T; gfn += 4)
                        if (PodGuest.ram(gfn) && gfn != PodGuest.STRUCT_GFN && gfn != PodGuest.LIST_GFN)
                            assertEquals(GuestMemory.crc(GuestMemory.pattern(gfn, 77)), gm.checksum(gfn, v), "gfn " + gfn);
                });
                assertEquals(Domain.State.RUNNING, hv.domain(d).state());
                assertEquals(GuestMemory.STATE_RUNNING, gm.domainState());
                assertEquals(0, pm.pod().entryCount(), "all of its memory is populated now");
                assertTrue(pm.totPages() <= T - 0x20);
            }
        }
    }

    @Test void withoutABalloonDriverTheGuestCrashesWhenItDirtiesMoreThanTheCache() throws Exception {
        try (InProcessHv hv = new InProcessHv(dir, 16384)) {
            int d = hv.buildGuest(M, T);
            DomainPhysmap pm = hv.pm(d);
            try (GuestMemory gm = hv.guestMemory(d)) {
                PodGuest g = new PodGuest(gm, M, 4);
                g.scrub(M, gfn -> true);
                AtomicLong dirtied = new AtomicLong();
                AtomicReference<GuestAccessException> failure = new AtomicReference<>();
                g.onAllVcpus(v -> {
                    try {
                        for (long gfn = v; gfn < M; gfn += 4) {
                            if (!PodGuest.ram(gfn)) continue;
                            gm.fillPattern(gfn, 5, v);
                            dirtied.incrementAndGet();
                        }
                    } catch (GuestAccessException e) {
                        failure.compareAndSet(null, e);
                    }
                });
                assertNotNull(failure.get(), "some vCPU's access must fail");
                assertTrue(failure.get().status() < 0);
                Domain dom = hv.domain(d);
                assertEquals(Domain.State.CRASHED, dom.state());
                assertEquals("Dom" + d + " out of PoD memory!", dom.crashReason());
                assertEquals(GuestMemory.STATE_CRASHED, gm.domainState(), "the crash shows in the shared p2m header");
                assertTrue(dirtied.get() < M - 0x20, "not all of maxmem could be dirtied: " + dirtied);
                assertTrue(dirtied.get() <= pm.totPages(), "each dirty page holds one of the domain's pages");
                assertTrue(dirtied.get() >= T - 0x20 - 0xA0 - 4 * 32, "roughly the cache got dirtied first: " + dirtied);
                assertTrue(failure.get().status() == -XenErrno.ENOMEM || failure.get().status() == -XenErrno.EFAULT);
            }
        }
    }
}
