package org.fallow.guest.crash;

import org.fallow.abi.AbiProfile;
import org.fallow.guest.hv.GuestMemoryPhysMem;
import org.fallow.guest.hv.HypercallArgs;
import org.fallow.guest.hv.HypercallTmemOps;
import org.fallow.guest.paging.PagingProcessBed;
import org.fallow.guest.tmem.Swizzle;
import org.fallow.xc.xenpaging.PageStamp;
import org.fallow.abi.process.HypervisorProcess;
import org.fallow.xc.tools.PagingCommands;
import org.fallow.xc.transport.HypervisorConnection;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The crash-point suite (docs/SECURITY.md "Crash safety"): for every {@link CrashPoint}, a real process (pager,
 * guest or hypervisor, each its own JVM) is killed with SIGKILL, or stalled, exactly there by {@link CrashAgent}, and
 * the test then checks that no paged-out page and no persistent tmem page was lost or corrupted. Every check is on
 * page contents ({@link PageStamp}), not on counters alone. Nothing waits on the clock: each step waits for what the
 * processes report (lines, exit, the agent's marker), bounded by the @Timeout.
 */
@Timeout(300)
class CrashPointTest {
    static final int FRAMES = 1024, TARGET = 256, MRU = 64;
    static final int SWAP_PAGES = 64, KILL_AT_STORE = 40, MULTICALL_ENTRIES = 32, STALL_AFTER_ENTRY = 10;
    static final long VERSION = 7;
    static final int VERIFY_GFN = 500;

    /** The page a guest stores for key {@code k} (swap offset or tmem index): every word depends on k. */
    static byte[] stamp(long k) {
        byte[] b = new byte[4096];
        PageStamp.write(MemorySegment.ofArray(b), k, VERSION);
        return b;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(CrashPoint.class)
    void noPagedOutOrPersistentPageIsLostOrCorrupted(CrashPoint p) throws Exception {
        String only = System.getProperty("fallow.crash.points", "");
        org.junit.jupiter.api.Assumptions.assumeTrue(only.isBlank() || Arrays.asList(only.split(",")).contains(p.label),
                "-Dfallow.crash.points=" + only + " selects other points");
        switch (p) {
            case PAGER_PAGE_WRITTEN, PAGER_EVICTED, PAGER_BEFORE_RESPONSE -> pagerKilledAt(p);
            case GUEST_FRONTSWAP_BEFORE_PUT, GUEST_FRONTSWAP_AFTER_PUT -> guestKilledInAFrontswapStore(p);
            case HYPERVISOR_MULTICALL_ENTRY -> hypervisorStalledInAMulticallWhoseGuestDies(p);
        }
    }

    // ---- the pager ------------------------------------------------------------------------------------------------

    /**
     * A 4 MiB domain (1024 frames, each stamped by the guest process) paged to 1 MiB by a pager that is SIGKILLed at
     * the point; a second pager recovers from the page file, the guest reads every page back (a page lost or mixed
     * up fails its stamp), and SIGTERM pages everything in.
     */
    private void pagerKilledAt(CrashPoint p) throws Exception {
        try (PagingProcessBed bed = new PagingProcessBed("64")) {
            assertEquals(0, bed.createDomain(FRAMES, 1));
            bed.startGuest(FRAMES, 1);
            assertEquals("ok 0", bed.ask("init"), "version 0 stamped into every frame");
            bed.xc.xenstore().write(PagingCommands.targetKey(1), String.valueOf(TARGET * 4));
            Path marker = bed.dir.resolve("crash.marker");
            Path pagefile = bed.dir.resolve("pagefile");
            // page-written: mid-way through the second batch; evicted: the third batch; before-response: the first
            int after = switch (p) { case PAGER_PAGE_WRITTEN -> 100; case PAGER_EVICTED -> 3; default -> 1; };
            Process pager1 = bed.pager(pagefile, MRU, List.of(CrashAgent.javaAgentOption(p, "kill", after, marker, 0)));
            CompletableFuture<String> pass = null;
            if (p == CrashPoint.PAGER_BEFORE_RESPONSE) {
                bed.awaitTotPages(TARGET); // paged out; now the guest faults on paged-out frames
                pass = CompletableFuture.supplyAsync(() -> {
                    try { return bed.ask("pass 1"); } catch (IOException e) { return "FAIL " + e; }
                });
            }
            assertTrue(pager1.waitFor(300, TimeUnit.SECONDS), "the pager reaches " + p.label);
            assertEquals(137, pager1.exitValue(), "killed by SIGKILL at the point");
            assertEquals("reached " + p.label + " " + after, Files.readString(marker).strip());

            Process pager2 = bed.pager(pagefile, MRU);
            String r = pass != null ? pass.get(300, TimeUnit.SECONDS) : bed.ask("pass 1");
            assertTrue(r.startsWith("ok "), "every frame holds version 0 after the crash: " + r);
            bed.awaitTotPages(TARGET);
            pager2.destroy(); // SIGTERM: every page back in
            assertTrue(pager2.waitFor(300, TimeUnit.SECONDS));
            assertEquals(0, pager2.exitValue());
            assertEquals(0, bed.host.domainInfo(1).pagedPages());
            assertEquals("ok 0", bed.ask("verify"), "every frame holds version 1, written after the crash");
        }
    }

    // ---- the guest ------------------------------------------------------------------------------------------------

    /**
     * A guest process stores 64 swap pages through frontswap (the real driver path) and is SIGKILLed in the 40th
     * store. Every store frontswap reported done is in the hypervisor's persistent pool with its exact bytes; the
     * interrupted one is there intact if the hypervisor had answered it and absent if it was never sent; nothing else.
     */
    private void guestKilledInAFrontswapStore(CrashPoint p) throws Exception {
        try (PagingProcessBed bed = new PagingProcessBed("64")) {
            assertEquals(0, bed.createDomain(512, 1));
            roomForPersistentPages(bed);
            Path marker = bed.dir.resolve("crash.marker");
            Process g = bed.java(bed.guestEnv(), List.of(CrashAgent.javaAgentOption(p, "kill", KILL_AT_STORE, marker, 0)),
                    CrashGuestMain.class.getName(), bed.hv.socket().toString(), "1", "frontswap", String.valueOf(SWAP_PAGES));
            List<String> lines = lines(g);
            assertTrue(g.waitFor(300, TimeUnit.SECONDS));
            assertEquals(137, g.exitValue(), () -> "killed in the store: " + lines + errs(bed));
            assertEquals("reached " + p.label + " " + KILL_AT_STORE, Files.readString(marker).strip());
            int pool = Integer.parseInt(lines.get(0).substring(5));
            int inflight = KILL_AT_STORE - 1;
            TreeSet<Integer> stored = new TreeSet<>();
            for (String l : lines.subList(1, lines.size())) stored.add(Integer.parseInt(l.substring(7)));
            assertEquals(IntStream.range(0, inflight).boxed().toList(), List.copyOf(stored), "acknowledged stores");

            try (Verifier v = new Verifier(bed)) {
                for (int off = 0; off < SWAP_PAGES; off++) {
                    long rc = v.get(pool, Swizzle.oid(0, off), Swizzle.index(off));
                    boolean expected = off < inflight || off == inflight && p == CrashPoint.GUEST_FRONTSWAP_AFTER_PUT;
                    if (expected) {
                        assertEquals(1, rc, "swap offset " + off + " must be in the persistent pool");
                        assertArrayEquals(stamp(off), v.page(), "swap offset " + off + " intact");
                    } else {
                        assertNotEquals(1, rc, "swap offset " + off + " was never put");
                    }
                }
            }
        }
    }

    // ---- the hypervisor -------------------------------------------------------------------------------------------

    /**
     * The hypervisor stalls in the middle of a guest's multicall of 32 persistent puts (after entry 10); meanwhile the
     * guest process is SIGKILLed. Released, the hypervisor may finish the batch or drop its rest with the dead caller
     * (a continuation of a gone connection); either way every entry that ran (its result written back as 1, and at
     * least the first 10) has its page in the pool with its exact bytes, no page is corrupt, tot_pages counts exactly
     * the pages present, and the hypervisor serves on.
     */
    private void hypervisorStalledInAMulticallWhoseGuestDies(CrashPoint p) throws Exception {
        Path markerDir = Files.createTempDirectory(Path.of("/tmp"), "fcm");
        Path marker = markerDir.resolve("crash.marker");
        List<String> hvOpts = new ArrayList<>(HypervisorProcess.TEST_JVM_OPTS);
        hvOpts.add(CrashAgent.javaAgentOption(p, "stall", STALL_AFTER_ENTRY, marker, 300_000));
        try (PagingProcessBed bed = new PagingProcessBed("64", hvOpts)) {
            assertEquals(0, bed.createDomain(512, 1));
            roomForPersistentPages(bed);
            Process g = bed.java(bed.guestEnv(), List.of(), CrashGuestMain.class.getName(), bed.hv.socket().toString(), "1",
                    "multicall", String.valueOf(MULTICALL_ENTRIES));
            BufferedReader out = new BufferedReader(new InputStreamReader(g.getInputStream(), StandardCharsets.UTF_8));
            String poolLine = out.readLine();
            assertTrue(poolLine != null && poolLine.startsWith("pool "), String.valueOf(poolLine));
            int pool = Integer.parseInt(poolLine.substring(5));
            assertEquals("sending", out.readLine());
            while (!Files.exists(marker) && g.isAlive()) Thread.sleep(10); // bounded by @Timeout: the agent reports the stall
            assertTrue(Files.exists(marker), () -> "the hypervisor never stalled; the guest said: " + rest(out) + errs(bed));
            assertEquals("reached " + p.label + " " + STALL_AFTER_ENTRY, Files.readString(marker).strip());
            g.destroyForcibly(); // the guest dies with its multicall half done (no reply can exist: the hypervisor stalls)
            assertTrue(g.waitFor(60, TimeUnit.SECONDS));
            assertEquals(137, g.exitValue());
            Files.writeString(markerDir.resolve("crash.marker.release"), "go");

            int present = 0;
            try (Verifier v = new Verifier(bed)) {
                for (int i = 0; i < MULTICALL_ENTRIES; i++) {
                    // the entry's result as the hypervisor wrote it back into the dead guest's multicall list
                    long result = v.mem.readLong(org.fallow.guest.hv.PhysMem.gpa(CrashGuestMain.LIST_GFN)
                            + (long) org.fallow.abi.xen.MulticallEntry.SIZE * i + org.fallow.abi.xen.MulticallEntry.RESULT_OFFSET);
                    long rc = v.get(pool, CrashGuestMain.OID, i);
                    if (i < STALL_AFTER_ENTRY) assertEquals(1, result, "entry " + i + " ran before the stall");
                    if (result == 1) assertEquals(1, rc, "entry " + i + " reported its put done: the page must be there");
                    if (rc == 1) {
                        assertArrayEquals(stamp(i), v.page(), "entry " + i + " intact");
                        present++;
                    }
                }
            }
            // the rest of the batch may run (Xen) or be dropped with the dead caller; either way nothing is corrupt and
            // the accounting agrees: 513 populated frames (512 + the ring gfn) plus the persistent pages present
            assertTrue(present >= STALL_AFTER_ENTRY, "present " + present);
            assertEquals(513 + present, bed.totPages(), "the toolstack is served after the stall; tot_pages counts the pool");
        } finally {
            Files.deleteIfExists(marker);
            Files.deleteIfExists(markerDir.resolve("crash.marker.release"));
            Files.deleteIfExists(markerDir);
        }
    }

    // ---- helpers --------------------------------------------------------------------------------------------------

    /** Persistent tmem pages count in tot_pages (docs/MEMORY.md): raise max_mem above the populated frames. */
    private static void roomForPersistentPages(PagingProcessBed bed) throws IOException {
        long rc = bed.domctl(org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_max_mem, 1,
                d -> d.set(org.fallow.abi.xen.XenLayouts.U64_UNALIGNED, org.fallow.hypervisor.mem.MemConstants.MAX_MEM_MAX_MEMKB, 1024 * 4L), null);
        assertEquals(0, rc, "max_mem");
    }

    private static String rest(BufferedReader r) {
        StringBuilder sb = new StringBuilder();
        try {
            for (String s; (s = r.readLine()) != null; ) sb.append(s).append('\n');
        } catch (IOException e) {
            sb.append(e);
        }
        return sb.toString();
    }

    /** The children's stderr files, for failure messages. */
    private static String errs(PagingProcessBed bed) {
        StringBuilder sb = new StringBuilder();
        try (var s = Files.list(bed.dir)) {
            for (Path f : s.filter(f -> f.toString().endsWith(".err") || f.toString().endsWith(".log")).toList())
                sb.append("\n--- ").append(f.getFileName()).append('\n').append(Files.readString(f));
        } catch (IOException e) {
            sb.append(e);
        }
        return sb.toString();
    }

    /** Every stdout line of a child until it exits. */
    private static List<String> lines(Process p) throws IOException {
        List<String> l = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String s; (s = r.readLine()) != null; ) l.add(s);
        }
        return l;
    }

    /** A fresh connection as domain 1's guest that reads tmem pages back into its last frame. */
    private static final class Verifier implements AutoCloseable {
        private final HypervisorConnection c;
        final GuestMemoryPhysMem mem;
        private final HypercallTmemOps tmem;
        private final long scratch;

        Verifier(PagingProcessBed bed) throws IOException {
            c = HypervisorConnection.guest(bed.hv.socket(), 1, bed.handle, AbiProfile.XEN_4_12);
            mem = GuestMemoryPhysMem.map(c.runDir(), 1, c::memFault);
            scratch = VERIFY_GFN; // populated RAM (createDomain populates 0..512), away from the guest's frames
            tmem = new HypercallTmemOps((op, a0, a1, a2, a3, a4) -> {
                try {
                    return c.hypercall(op, a0, a1, a2, a3, a4);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, mem, new HypercallArgs(VERIFY_GFN - 2, VERIFY_GFN - 1), AbiProfile.XEN_4_12);
        }

        /** TMEM_GET of (pool, oid, index) into the scratch frame (which is zeroed first). */
        long get(int pool, long oid, int index) {
            mem.zeroPage(scratch);
            return tmem.getPage(pool, oid, 0, 0, index, scratch);
        }

        byte[] page() {
            byte[] b = new byte[4096];
            mem.readPage(scratch, b);
            return b;
        }

        @Override public void close() {
            mem.close();
            c.close();
        }
    }

}
