package org.fallow.hypervisor.tmem;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.Hypervisor;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.GuestAddressSpace;
import org.fallow.hypervisor.core.HypervisorCore;
import org.fallow.hypervisor.testing.InProcessToolstack;
import org.fallow.hypervisor.mem.MemConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_destroydomain;
import static org.fallow.hypervisor.tmem.TmemDefs.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * tmem with the real guest-memory subsystem (both found by ServiceLoader): page data comes from the domain's memory
 * file, persistent pages count in tot_pages and stop at max_pages, a domain growing past free host memory evicts
 * ephemeral pages (never persistent ones), and destroying the domain frees its pools.
 */
@Timeout(60)
class TmemWithGuestMemoryTest {
    static final long OPH = 256;

    @TempDir Path dir;

    @Test void domainGrowthEvictsEphemeralPagesAndPersistentPagesCountInTotPages() throws Exception {
        try (Hypervisor hv = Hypervisor.create(8, dir); InProcessToolstack ts = new InProcessToolstack(hv.core(), 1 << 20)) {
            HypervisorCore core = hv.core();
            TmemSubsystem tmem = core.subsystem(TmemSubsystem.class).orElse(null);
            assertNotNull(tmem, "installed through META-INF/services");
            int d1 = ts.createHvmDomain(new byte[16], 1, 300);
            ts.buildHvm(d1, 256, 256);
            Domain dom = core.domains().get(d1);
            GuestAddressSpace mem = dom.part(GuestAddressSpace.class);
            Caller g = Caller.guest(d1, AbiProfile.XEN_4_12, mem);
            long tot0 = dom.memory().totPages();

            ts.onDispatch(() -> {
                MemorySegment data = mem.map(4096, 4096);
                SplittableRandom r = new SplittableRandom(1);
                for (int i = 0; i < 4096; i += 8) data.set(U64_UNALIGNED, i, r.nextLong());
                return null;
            });
            assertEquals(0, op(ts, core, g, mem, s -> TmemOpCodec.encodeNewPool(AbiProfile.XEN_4_12, s, 0, 0, 1 << 24)));
            assertEquals(1, op(ts, core, g, mem, s -> TmemOpCodec.encodeNewPool(AbiProfile.XEN_4_12, s, 0, 0, (1 << 24) | POOL_PERSIST)));
            // persistent: counted in tot_pages, refused at max_pages (300)
            int pers = 0;
            long rc;
            while ((rc = op(ts, core, g, mem, page(PUT_PAGE, 1, pers, 1))) == 1) pers++;
            assertEquals(-XenErrno.ENOMEM, rc);
            assertEquals(300 - tot0, pers);
            assertEquals(300, dom.memory().totPages());
            // ephemeral: fill the host down to tmem's 1 MiB reserve
            for (int i = 0; i < 1400; i++) assertEquals(1, op(ts, core, g, mem, page(PUT_PAGE, 0, i, 1)));
            long eph = ts.onDispatch(() -> tmem.engine().ephemeralPages());
            assertTrue(eph > 1000, "ephemeral pages stored: " + eph);

            // a second domain needs more than the free host memory: tmem gives ephemeral pages back
            int d2 = ts.createHvmDomain(new byte[16], 1, 1024);
            ts.buildHvm(d2, 1024, 1024);
            assertEquals(1024 - 0x20, core.domains().get(d2).memory().totPages(), "d2 got its memory (minus the VGA hole)");
            long evicted = ts.onDispatch(() -> tmem.engine().stats().evictedPages());
            assertTrue(evicted > 0, "ephemeral pages were reclaimed");
            assertTrue(ts.onDispatch(() -> tmem.engine().ephemeralPages()) < eph);
            for (int i = 0; i < pers; i++) assertEquals(1, op(ts, core, g, mem, page(GET_PAGE, 1, i, 2)), "persistent page " + i + " kept");

            long freeBefore = core.host().freePages();
            assertEquals(0, ts.domctl(XEN_DOMCTL_destroydomain, d1, 0));
            assertNull(ts.onDispatch(() -> tmem.engine().client(d1)));
            assertTrue(core.host().freePages() >= freeBefore + 300, "d1's memory and persistent pages went back to the host");
        }
    }

    @Test void persistentPutsOnAFullHostEvictEphemeralPagesThroughTmemsFreeList() throws Exception {
        try (Hypervisor hv = Hypervisor.create(8, dir); InProcessToolstack ts = new InProcessToolstack(hv.core(), 1 << 20)) {
            HypervisorCore core = hv.core();
            TmemSubsystem tmem = core.subsystem(TmemSubsystem.class).orElse(null);
            int d1 = ts.createHvmDomain(new byte[16], 1, 1000);
            ts.buildHvm(d1, 256, 256);
            Domain dom = core.domains().get(d1);
            GuestAddressSpace mem = dom.part(GuestAddressSpace.class);
            Caller g = Caller.guest(d1, AbiProfile.XEN_4_12, mem);
            ts.onDispatch(() -> {
                MemorySegment data = mem.map(4096, 4096);
                SplittableRandom r = new SplittableRandom(7);
                for (int i = 0; i < 4096; i += 8) data.set(U64_UNALIGNED, i, r.nextLong());
                return null;
            });
            assertEquals(0, op(ts, core, g, mem, s -> TmemOpCodec.encodeNewPool(AbiProfile.XEN_4_12, s, 0, 0, 1 << 24)));
            assertEquals(1, op(ts, core, g, mem, s -> TmemOpCodec.encodeNewPool(AbiProfile.XEN_4_12, s, 0, 0, (1 << 24) | POOL_PERSIST)));
            for (int i = 0; i < 1200; i++) assertEquals(1, op(ts, core, g, mem, page(PUT_PAGE, 0, i, 1)));
            // a second domain takes every free host page: only tmem's ephemeral pages are left to give
            long free = core.host().freePages();
            int d2 = ts.createHvmDomain(new byte[16], 1, (int) free + 0x20);
            ts.buildHvm(d2, (int) free + 0x20, (int) free + 0x20);
            assertEquals(core.host().midsizeZonePages(), core.host().freePages(),
                    "the host is full down to the mid-size zone (1/128 of the peak): below it order-0 pages came from tmem");
            long eph = ts.onDispatch(() -> tmem.engine().ephemeralPages());
            assertTrue(eph > 300, "ephemeral pages still stored: " + eph);

            long tot0 = dom.memory().totPages();
            for (int i = 0; i < 300; i++)
                assertEquals(1, op(ts, core, g, mem, page(PUT_PAGE, 1, i, 1)), "persistent put " + i + " on a full host");
            assertEquals(tot0 + 300, dom.memory().totPages(), "persistent pages count in tot_pages");
            assertTrue(ts.onDispatch(() -> tmem.engine().ephemeralPages()) <= eph - 300, "ephemeral pages made the room");
            for (int i = 0; i < 300; i++) {
                assertEquals(1, op(ts, core, g, mem, page(GET_PAGE, 1, i, 2)), "persistent page " + i);
                assertEquals(-1L, ts.<Long>onDispatch(() -> mem.map(4096, 4096).mismatch(mem.map(2 * 4096, 4096))), "page " + i + " bytes differ");
            }
        }
    }

    /**
     * cmfns outside the guest's frames (including ones whose byte address cmfn << 12 wraps to a small one) are a copy
     * fault: -EFAULT for PUT and GET, the stored page stays, and no guest frame is read or written in their place.
     */
    @Test void hugeCmfnsAreEfaultAndLoseNoData() throws Exception {
        try (Hypervisor hv = Hypervisor.create(8, dir); InProcessToolstack ts = new InProcessToolstack(hv.core(), 1 << 20)) {
            HypervisorCore core = hv.core();
            int d1 = ts.createHvmDomain(new byte[16], 1, 300);
            ts.buildHvm(d1, 256, 256);
            Domain dom = core.domains().get(d1);
            GuestAddressSpace mem = dom.part(GuestAddressSpace.class);
            Caller g = Caller.guest(d1, AbiProfile.XEN_4_12, mem);
            byte[] page1 = ts.onDispatch(() -> {
                SplittableRandom r = new SplittableRandom(3);
                MemorySegment data = mem.map(4096, 4096);
                for (int i = 0; i < 4096; i += 8) data.set(U64_UNALIGNED, i, r.nextLong());
                mem.map(2 * 4096, 4096).fill((byte) 0x5A);
                return data.toArray(ValueLayout.JAVA_BYTE);
            });
            byte[] page0 = ts.onDispatch(() -> mem.map(0, 4096).toArray(ValueLayout.JAVA_BYTE));
            assertEquals(0, op(ts, core, g, mem, s -> TmemOpCodec.encodeNewPool(AbiProfile.XEN_4_12, s, 0, 0, (1 << 24) | POOL_PERSIST)));
            assertEquals(1, op(ts, core, g, mem, page(PUT_PAGE, 0, 1, 1)));
            long tot = dom.memory().totPages();
            for (long cmfn : new long[] {256 + 0x40, 1L << 40, 1L << 52, (1L << 52) + 1, Long.MAX_VALUE, -1L}) {
                String c = "cmfn 0x" + Long.toHexString(cmfn);
                assertEquals(-XenErrno.EFAULT, op(ts, core, g, mem, page(PUT_PAGE, 0, 2, cmfn)), "PUT from " + c);
                assertEquals(-XenErrno.EFAULT, op(ts, core, g, mem, page(GET_PAGE, 0, 1, cmfn)), "GET into " + c);
            }
            assertEquals(tot, dom.memory().totPages(), "no page stored for the failed PUTs");
            MemorySegment before = MemorySegment.ofArray(page0);
            assertEquals(-1L, ts.<Long>onDispatch(() -> mem.map(0, OPH).mismatch(before.asSlice(0, OPH))),
                    "gfn 0 (where cmfn << 12 wraps) untouched below the op struct");
            assertEquals(-1L, ts.<Long>onDispatch(() -> mem.map(OPH + 56, 4096 - OPH - 56).mismatch(before.asSlice(OPH + 56))),
                    "and above it");
            assertEquals(1, op(ts, core, g, mem, page(GET_PAGE, 0, 1, 2)), "the stored page survived the bad GETs");
            assertEquals(-1L, ts.<Long>onDispatch(() -> mem.map(2 * 4096, 4096).mismatch(MemorySegment.ofArray(page1))));
        }
    }

    interface Encoder {
        void encode(MemorySegment s);
    }

    static Encoder page(int cmd, int pool, int oid, long gfn) {
        return s -> TmemOpCodec.encodePage(AbiProfile.XEN_4_12, s, cmd, pool, new TmemOid(oid, 0, 0), 0, gfn);
    }

    static long op(InProcessToolstack ts, HypervisorCore core, Caller g, GuestAddressSpace mem, Encoder e) {
        return ts.onDispatch(() -> {
            e.encode(mem.map(OPH, 56));
            return core.dispatch(g, Hypercalls.TMEM_OP, new long[] {OPH, 0, 0, 0, 0});
        });
    }
}
