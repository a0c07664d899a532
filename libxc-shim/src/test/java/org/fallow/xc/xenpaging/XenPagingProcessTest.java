package org.fallow.xc.xenpaging;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.hypervisor.mem.MemConstants;
import org.fallow.xc.XcHandle;
import org.fallow.xc.testing.HypervisorProcess;
import org.fallow.xc.transport.HypercallBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The paging "must show" with real processes: the hypervisor, the guest workload (8 vcpus, each its own connection)
 * and xenpaging are separate JVMs talking over the Unix socket. A 16 MiB guest with actmem 4 MiB
 * (memory=4096/actmem=1024 scaled by 1/256) converges to exactly the target while its vcpus read and write all of
 * its memory; every page reads back as written across a SIGKILLed and restarted pager; SIGTERM pages everything in.
 */
@Timeout(300)
class XenPagingProcessTest {
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final int FRAMES = 4096, RING_GFN = FRAMES, TARGET_PAGES = 1024, VCPUS = 8;

    Path dir;
    HypervisorProcess hv;
    XcHandle xc;
    final List<Process> children = new ArrayList<>();

    @BeforeEach void setUp() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "flp");
        hv = HypervisorProcess.start(dir, "--host-mem", "64");
        xc = XcHandle.open(hv.socket(), AbiProfile.XEN_4_12);
    }

    @AfterEach void tearDown() throws Exception {
        for (Process p : children) p.destroyForcibly();
        if (xc != null) xc.close();
        if (hv != null) hv.close();
        try (var s = Files.walk(dir)) { s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete()); }
    }

    private long domctl(int cmd, int domid, java.util.function.Consumer<MemorySegment> fill, MemorySegment[] out) throws IOException {
        MemorySegment d = MemorySegment.ofArray(new long[XcHandle.DOMCTL_SIZE / 8]);
        d.set(U32, 0, cmd);
        d.set(U16, 8, (short) domid);
        fill.accept(d);
        long rc = xc.domctl(d);
        if (out != null) out[0] = d;
        return rc;
    }

    private long populate(int domid, long first, long n) throws IOException {
        try (HypercallBuffer.Buf b = xc.buffers().allocate(32 + 8 * n)) {
            MemorySegment s = b.segment();
            s.fill((byte) 0);
            s.set(U64, 0, b.handle() + 32);
            s.set(U64, 8, n);
            s.set(U16, 24, (short) domid);
            for (int i = 0; i < n; i++) s.set(U64, 32 + 8L * i, first + i);
            return xc.hypercall(Hypercalls.MEMORY_OP, 6, b.handle());
        }
    }

    private long setHvmParam(int domid, int index, long value) throws IOException {
        try (HypercallBuffer.Buf b = xc.buffers().allocate(16)) {
            MemorySegment s = b.segment();
            s.set(U16, 0, (short) domid);
            s.set(U32, 4, index);
            s.set(U64, 8, value);
            return xc.hypercall(Hypercalls.HVM_OP, 0, b.handle());
        }
    }

    private Process java(String main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), main));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectError(dir.resolve(main.substring(main.lastIndexOf('.') + 1) + "-" + children.size() + ".err").toFile());
        Process p = pb.start();
        children.add(p);
        return p;
    }

    private Process pager(Path pagefile) throws IOException {
        Process p = java(XenPagingCommand.class.getName(), "-d", "1", "-f", pagefile.toString(), "-r", "256", "--socket", hv.socket().toString());
        p.getOutputStream().close();
        return p;
    }

    private long totPages(XcPagingHost host) throws IOException { return host.domainInfo(1).totPages(); }

    private static void await(BooleanSupplier cond) throws InterruptedException {
        while (!cond.getAsBoolean()) Thread.sleep(20); // bounded by @Timeout
    }

    private static String ask(PrintWriter to, BufferedReader from, String cmd) throws IOException {
        to.println(cmd);
        to.flush();
        return from.readLine();
    }

    @Test void guestRunsAtActmemAcrossAKilledPagerAsSeparateProcesses() throws Exception {
        byte[] handle = new byte[16];
        ThreadLocalRandom.current().nextBytes(handle);
        MemorySegment[] out = new MemorySegment[1];
        long rc = domctl(MemConstants.XEN_DOMCTL_createdomain, 1, d -> {
            MemorySegment.copy(MemorySegment.ofArray(handle), 0, d, MemConstants.CREATE_HANDLE, 16);
            d.set(U32, MemConstants.CREATE_FLAGS, MemConstants.XEN_DOMCTL_CDF_hvm_guest | MemConstants.XEN_DOMCTL_CDF_hap);
            d.set(U32, MemConstants.CREATE_MAX_VCPUS, VCPUS);
        }, out);
        Assumptions.assumeTrue(rc != -38, "the hypervisor has no guest-memory subsystem yet");
        assertEquals(0, rc, "createdomain");
        int domid = out[0].get(U16, 8);
        assertEquals(1, domid);
        assertEquals(0, domctl(MemConstants.XEN_DOMCTL_max_mem, domid, d -> d.set(U64, MemConstants.MAX_MEM_MAX_MEMKB, (FRAMES + 1) * 4L), null), "max_mem");
        assertEquals(FRAMES + 1, populate(domid, 0, FRAMES + 1));
        assertEquals(0, setHvmParam(domid, 27, RING_GFN));
        assertEquals(0, domctl(MemConstants.XEN_DOMCTL_unpausedomain, domid, d -> {}, null), "unpause");

        Process guest = java(PagingGuestMain.class.getName(), hv.socket().toString(), "1", HexFormat.of().formatHex(handle),
                String.valueOf(FRAMES), String.valueOf(VCPUS));
        PrintWriter g = new PrintWriter(guest.getOutputStream());
        BufferedReader gin = new BufferedReader(new InputStreamReader(guest.getInputStream()));
        assertEquals("ok 0", ask(g, gin, "init"));

        XcPagingHost host = new XcPagingHost(xc);
        xc.xenstore().write("/local/domain/1/memory/target-tot_pages", String.valueOf(TARGET_PAGES * 4));
        Path pagefile = dir.resolve("pagefile");
        Process pager1 = pager(pagefile);
        await(() -> { try { return totPages(host) == TARGET_PAGES; } catch (IOException e) { throw new IllegalStateException(e); } });
        assertEquals(FRAMES - TARGET_PAGES, host.domainInfo(1).pagedPages());

        String r = ask(g, gin, "pass 2");
        assertTrue(r.startsWith("ok ") && Long.parseLong(r.substring(3)) > 0, r);
        await(() -> { try { return totPages(host) == TARGET_PAGES; } catch (IOException e) { throw new IllegalStateException(e); } });
        assertEquals(TARGET_PAGES, totPages(host), "exactly actmem resident");

        pager1.destroyForcibly(); // SIGKILL
        assertTrue(pager1.waitFor(30, TimeUnit.SECONDS));
        assertTrue(Files.exists(pagefile) && PageFile.leftBehind(pagefile), "the killed pager's pagefile and slot index survive");
        CompletableFuture<String> stalled = CompletableFuture.supplyAsync(() -> {
            try { return ask(g, gin, "pass 1"); } catch (IOException e) { return "FAIL " + e; }
        });
        Process pager2 = pager(pagefile);
        String s = stalled.get(120, TimeUnit.SECONDS);
        assertTrue(s.startsWith("ok "), s);
        assertTrue(ask(g, gin, "pass 1").startsWith("ok "));
        await(() -> { try { return totPages(host) == TARGET_PAGES; } catch (IOException e) { throw new IllegalStateException(e); } });
        assertEquals(TARGET_PAGES, totPages(host));

        pager2.destroy(); // SIGTERM: page everything back in, exit 0
        assertTrue(pager2.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, pager2.exitValue());
        assertEquals(FRAMES, totPages(host), "everything resident again (the ring gfn left the physmap)");
        assertEquals(0, host.domainInfo(1).pagedPages());
        assertFalse(Files.exists(pagefile));
        assertEquals("ok 0", ask(g, gin, "verify"), "every page holds what its vcpu wrote last");
        g.println("quit");
        g.flush();
        assertTrue(guest.waitFor(30, TimeUnit.SECONDS));
    }
}
