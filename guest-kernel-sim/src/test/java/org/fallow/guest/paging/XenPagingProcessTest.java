package org.fallow.guest.paging;

import org.fallow.xc.XcMemPaging;
import org.fallow.xc.tools.PagingCommands;
import org.fallow.xc.xenpaging.PageFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.fallow.abi.xen.HvmOpConstants.HVM_PARAM_PAGING_RING_PFN;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op_evict;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op_nominate;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op_prep;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The paging "must show" with real processes: the hypervisor, the guest workload (8 vcpus, each its own connection)
 * and xenpaging are separate JVMs talking over the Unix socket. A 16 MiB guest with actmem 4 MiB
 * (memory=4096/actmem=1024 scaled by 1/256) converges to exactly the target while its vcpus read and write all of
 * its memory; every page reads back as written across a SIGKILLed and restarted pager; SIGTERM pages everything in.
 */
@Timeout(300)
class XenPagingProcessTest {
    static final int FRAMES = 4096, TARGET_MB = 4, TARGET_PAGES = TARGET_MB * 256, VCPUS = 8;
    PagingProcessBed bed;

    @BeforeEach void setUp() throws Exception { bed = new PagingProcessBed("64"); }

    @AfterEach void tearDown() throws Exception { bed.close(); }

    @Test void guestRunsAtActmemAcrossAKilledPagerAsSeparateProcesses() throws Exception {
        assertEquals(0, bed.createDomain(FRAMES, VCPUS), "createdomain + populate through the real guest-memory subsystem");
        bed.startGuest(FRAMES, VCPUS);
        assertEquals("ok 0", bed.ask("init"));

        // the toolstack command writes target-tot_pages in KiB
        assertEquals(0, new CommandLine(new PagingCommands.MemSwapTarget())
                .execute("1", String.valueOf(TARGET_MB), "--socket", bed.hv.socket().toString()));
        assertEquals(String.valueOf(TARGET_PAGES * 4), bed.xc.xenstore().read(PagingCommands.targetKey(1)));
        assertEquals(1, new CommandLine(new PagingCommands.MemSwapTarget())
                .execute("9", "4", "--socket", bed.hv.socket().toString()), "no domain 9");

        Path pagefile = bed.dir.resolve("pagefile");
        Process pager1 = bed.pager(pagefile, 256);
        bed.awaitTotPages(TARGET_PAGES);
        assertEquals(FRAMES - TARGET_PAGES, bed.host.domainInfo(1).pagedPages(), "everything above actmem is paged out");

        String r = bed.ask("pass 2");
        assertTrue(r.startsWith("ok ") && Long.parseLong(r.substring(3)) > 0, r);
        bed.awaitTotPages(TARGET_PAGES);
        assertEquals(FRAMES - TARGET_PAGES, bed.host.domainInfo(1).pagedPages());

        pager1.destroyForcibly(); // SIGKILL
        assertTrue(pager1.waitFor(30, TimeUnit.SECONDS));
        assertTrue(Files.exists(pagefile) && PageFile.leftBehind(pagefile), "the killed pager's pagefile and slot index survive");
        CompletableFuture<String> stalled = CompletableFuture.supplyAsync(() -> {
            try { return bed.ask("pass 1"); } catch (Exception e) { return "FAIL " + e; }
        });
        Process pager2 = bed.pager(pagefile, 256);
        String s = stalled.get(120, TimeUnit.SECONDS);
        assertTrue(s.startsWith("ok "), s);
        assertTrue(bed.ask("pass 1").startsWith("ok "));
        bed.awaitTotPages(TARGET_PAGES);

        pager2.destroy(); // SIGTERM: page everything back in, exit 0
        assertTrue(pager2.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, pager2.exitValue());
        assertEquals(FRAMES, bed.totPages(), "everything resident again (the ring gfn left the physmap)");
        assertEquals(0, bed.host.domainInfo(1).pagedPages());
        assertFalse(Files.exists(pagefile));
        assertFalse(PageFile.leftBehind(pagefile));
        assertEquals("ok 0", bed.ask("verify"), "every page holds what its vcpu wrote last");
    }

    @Test void aSecondPagerGetsEbusyAndExits1WhileTheFirstLives() throws Exception {
        assertEquals(0, bed.createDomain(1024, 2), "createdomain + populate through the real guest-memory subsystem");
        bed.xc.xenstore().write(PagingCommands.targetKey(1), String.valueOf(256 * 4));
        Process first = bed.pager(bed.dir.resolve("pf1"), 64);
        bed.awaitTotPages(256);
        Process second = bed.pager(bed.dir.resolve("pf2"), 64);
        assertTrue(second.waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, second.exitValue(), "xc_mem_paging_enable: EBUSY fails xenpaging_init: exit 1 (issue 15 item 12)");
        assertTrue(first.isAlive());
        bed.xc.xenstore().write(PagingCommands.targetKey(1), String.valueOf(512 * 4));
        bed.awaitTotPages(512); // the first pager still follows the target
        first.destroy();
        assertTrue(first.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, first.exitValue());
        assertEquals(1024, bed.totPages());
    }

    @Test void pagingOpsOverTheWireOneByOneAndBatched() throws Exception {
        assertEquals(0, bed.createDomain(64, 1), "createdomain + populate through the real guest-memory subsystem");
        XcMemPaging xp = new XcMemPaging(bed.xc);
        assertEquals(-19, xp.xc_mem_paging_nominate(1, 5), "no ring: -ENODEV");
        assertEquals(64, xp.xc_hvm_param_get(1, HVM_PARAM_PAGING_RING_PFN));
        int port = xp.xc_mem_paging_enable(1);
        assertTrue(port > 0, "port " + port);
        assertEquals(-16, xp.xc_mem_paging_enable(1), "a ring exists and its pager (this connection) lives: -EBUSY");
        MemorySegment[] data = new MemorySegment[3];
        for (int i = 0; i < 3; i++) {
            data[i] = bed.host.guestFrame(1, 10 + i);
            data[i] = java.lang.foreign.Arena.ofAuto().allocate(4096).copyFrom(data[i]);
            data[i].fill((byte) (0x40 + i));
        }
        assertArrayEquals(new int[] {0, 0, -16, 0}, xp.xc_mem_paging_batch(XENMEM_paging_op_nominate, 1,
                new long[] {10, 11, 100_000, 12}, null), "the out-of-range gfn is busy, the others nominated");
        assertArrayEquals(new int[] {0, 0, 0}, xp.xc_mem_paging_batch(XENMEM_paging_op_evict, 1, new long[] {10, 11, 12}, null));
        assertEquals(3, bed.host.domainInfo(1).pagedPages());
        assertEquals(64 - 3 + 1, bed.totPages(), "3 frames gone (the ring gfn is still in the physmap here)");
        assertEquals(-2, xp.xc_mem_paging_prep(1, 13), "prep of RAM: -ENOENT");
        assertEquals(-22, xp.xc_mem_paging_prep(1, 10), "an evicted page needs data: -EINVAL");
        assertArrayEquals(new int[] {0, 0, 0}, xp.xc_mem_paging_batch(XENMEM_paging_op_prep, 1, new long[] {10, 11, 12}, data));
        assertEquals(0, bed.host.domainInfo(1).pagedPages());
        for (int i = 0; i < 3; i++)
            assertEquals(-1, bed.host.guestFrame(1, 10 + i).mismatch(data[i]), "gfn " + (10 + i) + " holds the prepped data");
        assertEquals(0, xp.xc_mem_paging_nominate(1, 10));
        assertEquals(0, xp.xc_mem_paging_resume(1));
        assertEquals(0, xp.xc_mem_paging_disable(1));
        assertEquals(-22, xp.xc_mem_paging_disable(1), "no ring: -EINVAL");
    }

    @Test void anXlCreatedGuestCanBePagedToItsActmem() throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int rc = org.fallow.xc.tools.DomainCommands.execute(new java.io.PrintStream(out), System.err,
                "create", "--memory", "8", "--vcpus", "1", "--socket", bed.hv.socket().toString());
        assertEquals(0, rc, "create failed: " + out);
        int domid = Integer.parseInt(out.toString().lines().filter(l -> l.startsWith("domid ")).findFirst().orElseThrow().substring(6));
        assertEquals(8 * 256, new XcMemPaging(bed.xc).xc_hvm_param_get(domid, HVM_PARAM_PAGING_RING_PFN),
                "the builder names the ring page above RAM");
        long built = bed.host.domainInfo(domid).totPages();
        assertEquals(0, new CommandLine(new PagingCommands.MemSwapTarget()).execute(String.valueOf(domid), "2", "--socket", bed.hv.socket().toString()));
        Process pager = bed.java(org.fallow.xc.xenpaging.XenPagingCommand.class.getName(), "-d", String.valueOf(domid),
                "-f", bed.dir.resolve("pfx").toString(), "--socket", bed.hv.socket().toString());
        pager.getOutputStream().close();
        while (bed.host.domainInfo(domid).totPages() != 512) Thread.sleep(20); // bounded by @Timeout
        assertEquals(built - 512, bed.host.domainInfo(domid).pagedPages());
        Path slots = org.fallow.xc.xenpaging.PageFile.indexPath(bed.dir.resolve("pfx"));
        assertEquals(built - 512, usedSlots(slots), "one pagefile slot per paged-out page");

        // The guest (here the toolstack for it) frees 5 paged-out gfns: the pager hears DROP_PAGE and frees their slots.
        long[] paged = java.util.stream.LongStream.range(0xC0, 8 * 256).filter(g -> {
            try { return bed.host.p2mType(domid, g) == 10; } catch (java.io.IOException e) { throw new IllegalStateException(e); }
        }).limit(5).toArray();
        assertEquals(5, paged.length);
        assertEquals(5, new org.fallow.xc.XcDomain(bed.xc).xc_domain_decrease_reservation(domid, 0, paged));
        assertEquals(built - 512 - 5, bed.host.domainInfo(domid).pagedPages(), "dropped pages are no longer paged");
        while (usedSlots(slots) != built - 512 - 5) Thread.sleep(20); // the pager frees them (bounded by @Timeout)
        assertEquals(512, bed.host.domainInfo(domid).totPages(), "they had no frames: tot_pages unchanged");
        built -= 5;
        pager.destroy();
        assertTrue(pager.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, pager.exitValue());
        assertEquals(built, bed.host.domainInfo(domid).totPages(), "paged back in; the ring page it populated went out again");
    }

    private static long usedSlots(Path index) throws java.io.IOException {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(Files.readAllBytes(index)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long n = 0;
        while (b.remaining() >= 8) if (b.getLong() != 0) n++;
        return n;
    }
}
