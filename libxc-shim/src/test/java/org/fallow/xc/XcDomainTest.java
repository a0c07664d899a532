package org.fallow.xc;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.MemoryOpConstants;
import org.fallow.abi.process.HypervisorProcess;
import org.fallow.xc.tools.DomainCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.*;

/** libxc's domain and reservation calls against a hypervisor process, over the socket. */
@Timeout(120)
class XcDomainTest {
    static HypervisorProcess hv;

    @BeforeAll static void start() throws Exception {
        hv = HypervisorProcess.startInTempDir("flx", "--host-mem", "32");
    }

    @AfterAll static void stop() throws Exception {
        if (hv != null) hv.deleteRunDir();
    }

    private static byte[] handle(int seed) {
        byte[] h = new byte[16];
        for (int i = 0; i < 16; i++) h[i] = (byte) (seed * 16 + i);
        return h;
    }

    @Test void reservationsAndPodTargetThroughLibxc() throws Exception {
        try (XcHandle xc = XcHandle.open(hv.socket(), AbiProfile.XEN_4_12)) {
            XcDomain dom = new XcDomain(xc);
            long d = dom.xc_domain_create_hvm(handle(1), 2);
            assertTrue(d > 0, "domid " + d);
            int id = (int) d;
            assertEquals(0, dom.xc_domain_setmaxmem(id, 4096));
            XcDomain.DomainInfo info = dom.info(id);
            assertEquals(1024, info.maxPages());
            assertTrue(info.paused() && info.hvm());
            assertArrayEquals(handle(1), info.handle());

            assertEquals(0, dom.xc_domain_populate_physmap_exact(id, 0, 0, LongStream.range(0, 100).toArray()));
            assertEquals(100, dom.info(id).totPages());
            assertEquals(2, dom.xc_domain_increase_reservation(id, 2, 1, 0), "two order-1 extents");
            assertEquals(104, dom.info(id).totPages());
            assertEquals(0, dom.xc_domain_decrease_reservation_exact(id, 0, LongStream.range(50, 100).toArray()));
            assertEquals(54, dom.info(id).totPages());
            assertEquals(1, dom.xc_domain_decrease_reservation(id, 0, new long[] {10, 60, 11}),
                    "gfn 60 is no longer there: the call stops after one extent");

            assertEquals(0, dom.xc_domain_populate_physmap_exact(id, 0, MemoryOpConstants.XENMEMF_populate_on_demand,
                    LongStream.range(200, 1000).toArray()));
            XcDomain.PodTarget t = dom.xc_domain_set_pod_target(id, 500);
            assertEquals(0, t.rc());
            assertEquals(500, t.totPages());
            assertEquals(800, t.podEntries());
            assertEquals(500 - 53, t.podCachePages());
            assertEquals(-XenErrno.EINVAL, dom.xc_domain_set_pod_target(id, 1025).rc());
            assertEquals(999, dom.xc_domain_maximum_gpfn(id));
            assertEquals(500, dom.xc_domain_current_reservation(id));
            var list = dom.xc_domain_getinfolist(id, 4);
            assertFalse(list.isEmpty());
            assertEquals(id, list.getFirst().domid());
            assertEquals(500, list.getFirst().totPages());
            assertEquals(-XenErrno.ESRCH, dom.xc_domain_get_pod_target(999).rc());
            assertEquals(0, dom.xc_domain_destroy(id));
            assertNull(dom.info(id));
            assertEquals(-XenErrno.ESRCH, dom.xc_domain_destroy(id));
        }
    }

    @Test void hvmBuildTargetMemLaysOutRamHoleAndPod() throws Exception {
        try (XcHandle xc = XcHandle.open(hv.socket(), AbiProfile.XEN_4_12)) {
            XcDomain dom = new XcDomain(xc);
            int id = (int) dom.xc_domain_create_hvm(handle(2), 1);
            assertEquals(0, dom.xc_domain_setmaxmem(id, 8 * 1024 + 1024));
            assertEquals(0, dom.xc_hvm_build_target_mem(id, 8, 4));
            XcDomain.PodTarget t = dom.xc_domain_get_pod_target(id);
            assertEquals(1024 - 0x20, t.totPages(), "tot_pages = target - the VGA hole");
            assertEquals(2048 - 0xC0, t.podEntries());
            assertEquals(1024 - 0x20 - 0xA0, t.podCachePages());
            int same = (int) dom.xc_domain_create_hvm(handle(3), 1);
            assertEquals(0, dom.xc_domain_setmaxmem(same, 2 * 1024));
            assertEquals(0, dom.xc_hvm_build_target_mem(same, 2, 2), "target == memsize: no PoD");
            assertEquals(512 - 0x20, dom.info(same).totPages());
            assertEquals(0, dom.xc_domain_get_pod_target(same).podEntries());
            dom.xc_domain_destroy(id);
            dom.xc_domain_destroy(same);
        }
    }

    @Test void toolstackCommands() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true), e = new PrintStream(err, true);
        String sock = hv.socket().toString();
        assertEquals(0, DomainCommands.execute(o, e, "create", "--socket", sock, "--memory", "4", "--maxmem", "8", "--name", "web"), err.toString());
        String created = out.toString(StandardCharsets.UTF_8);
        int id = Integer.parseInt(created.lines().filter(l -> l.startsWith("domid ")).findFirst().orElseThrow().substring(6));
        assertTrue(created.lines().anyMatch(l -> l.matches("handle [0-9a-f]{32}")), created);
        try (XcHandle xc = XcHandle.open(hv.socket(), AbiProfile.XEN_4_12)) {
            XcDomain dom = new XcDomain(xc);
            assertFalse(dom.info(id).paused(), "create unpauses");
            assertEquals("8192", xc.xenstore().read("/local/domain/" + id + "/memory/static-max"));
            assertEquals(Long.toString(4096 - 1024), xc.xenstore().read("/local/domain/" + id + "/memory/target"));

            assertEquals(0, DomainCommands.execute(o, e, "mem-set", "--socket", sock, Integer.toString(id), "6"), err.toString());
            assertEquals("6144", xc.xenstore().read("/local/domain/" + id + "/memory/target"));
            assertEquals(6 * 256 + 256, dom.info(id).maxPages(), "mem-set also sets max_pages = target + 1 MiB");
            assertTrue(dom.xc_domain_get_pod_target(id).totPages() > 1024 - 0x20, "the PoD cache grew toward the new target");

            assertEquals(1, DomainCommands.execute(o, e, "mem-max", "--socket", sock, Integer.toString(id), "5"),
                    "below the target");
            assertEquals(0, DomainCommands.execute(o, e, "mem-max", "--socket", sock, Integer.toString(id), "16"));
            assertEquals(16 * 256 + 256, dom.info(id).maxPages());

            assertEquals("web", xc.xenstore().read("/local/domain/" + id + "/name"));
            assertEquals(0, DomainCommands.execute(o, e, "destroy", "--socket", sock, Integer.toString(id)));
            assertNull(dom.info(id));
            assertEquals(1, DomainCommands.execute(o, e, "destroy", "--socket", sock, Integer.toString(id)), "already gone");
        }
    }
}
