package org.fallow.xc;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.xen.TmemConstants;
import org.fallow.abi.process.HypervisorProcess;
import org.fallow.xc.tools.TmemCommands;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Three processes over the real socket: a hypervisor child process, a guest child process ({@link TmemGuestMain})
 * issuing every tmem_op, and this JVM as the toolstack (libxc-shim's XcTmem and the tmem-* commands).
 */
@Timeout(120)
class TmemEndToEndTest {
    static final byte[] SECRET = HexFormat.of().parseHex("00112233445566778899aabbccddeeff");

    /** The guest process, line by line. */
    static final class Guest implements AutoCloseable {
        final Process p;
        final BufferedReader out;
        final Writer in;
        final Map<String, Long> results = new HashMap<>();
        final List<String> log = new ArrayList<>();

        Guest(Path socket, int domid, AbiProfile profile, Path logFile) throws Exception {
            ProcessBuilder pb = org.fallow.abi.process.ChildJvm.builder(List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
                    TmemGuestMain.class.getName(), List.of(socket.toString(), String.valueOf(domid), profile.label()))
                    .redirectError(logFile.toFile());
            pb.environment().put(org.fallow.abi.fs.Secrets.ENV, HexFormat.of().formatHex(SECRET)); // never argv
            p = pb.start();
            out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            in = new java.io.OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
        }

        /** Reads result lines until {@code WAIT tag} or DONE; returns the line that stopped it. */
        String until(String stop) throws Exception {
            String line;
            while ((line = out.readLine()) != null) {
                log.add(line);
                if (line.equals(stop)) return line;
                if (line.startsWith("WAIT ") || line.equals("DONE")) fail("expected " + stop + ", got " + line + " after " + log);
                String[] kv = line.split(" ");
                results.put(kv[0], Long.parseLong(kv[1]));
            }
            fail("guest exited early: " + log);
            return null;
        }

        void go() throws Exception {
            in.write("go\n");
            in.flush();
        }

        long rc(String name) {
            assertTrue(results.containsKey(name), name + " missing in " + log);
            return results.get(name);
        }

        @Override public void close() { p.destroyForcibly(); }
    }

    static String run(String socket, String... args) {
        ByteArrayOutputStream bo = new ByteArrayOutputStream(), be = new ByteArrayOutputStream();
        CommandLine cl = new CommandLine(new Root());
        for (Object c : TmemCommands.commands()) cl.addSubcommand(c);
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(1, List.of("--socket", socket));
        PrintStream oldOut = System.out, oldErr = System.err;
        int code;
        try {
            System.setOut(new PrintStream(bo, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(be, true, StandardCharsets.UTF_8));
            code = cl.execute(all.toArray(String[]::new));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        String out = bo.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, "command " + all + " failed: " + out + be.toString(StandardCharsets.UTF_8));
        return out;
    }

    @CommandLine.Command(name = "fallow") static final class Root {}

    private static int createGuestDomain(XcHandle xc) throws Exception {
        int d = RawToolstack.createDomain(xc, SECRET);
        assertTrue(d > 0, "createdomain " + d);
        assertEquals(0, RawToolstack.maxMem(xc, d, 1024));
        assertEquals(64, RawToolstack.populate(xc, d, 64));
        RawToolstack.unpause(xc, d);
        return d;
    }

    @Test void guestAndToolstackExerciseEveryOpAt412() throws Exception {
        Path run = Files.createTempDirectory(Path.of("/tmp"), "fl");
        try (HypervisorProcess hv = HypervisorProcess.start(run); XcHandle xc = XcHandle.open(hv.socket(), AbiProfile.XEN_4_12)) {
            XcTmem tmem = new XcTmem(xc);
            String sock = hv.socket().toString();
            int d = createGuestDomain(xc);
            assertEquals(1, XcTmem.xc_tmem_auth(xc, d, "00000000-0000-2222-0000-000000001111", 1), "xc_tmem_auth creates the client");
            try (Guest g = new Guest(hv.socket(), d, AbiProfile.XEN_4_12, run.resolve("guest.log"))) {
                g.until("WAIT frozen");
                assertEquals(0, g.rc("new_pool_private"));
                assertEquals(1, g.rc("new_pool_persistent"));
                assertEquals(2, g.rc("new_pool_shared"));
                assertEquals(-1, g.rc("new_pool_bad_version"));
                assertEquals(1, g.rc("put"));
                assertEquals(1, g.rc("get"));
                assertEquals(1, g.rc("get_match"));
                assertEquals(-1001, g.rc("get_exclusive_again"));
                assertEquals(1, g.rc("put_pers"));
                assertEquals(1, g.rc("dup_put"));
                assertEquals(1, g.rc("get_pers"));
                assertEquals(1, g.rc("get_pers_match"));
                assertEquals(0, g.rc("get_miss"));
                assertEquals(1, g.rc("flush_page"));
                assertEquals(-1001, g.rc("get_after_flush"));
                assertEquals(1, g.rc("flush_object"));
                assertEquals(-19, g.rc("bad_pool"));
                assertEquals(0, g.rc("destroy_missing"));
                assertEquals(-38, g.rc("unknown_cmd"));
                assertEquals(-95, g.rc("control_cmd"));
                assertEquals(-14, g.rc("bad_cmfn"));
                assertEquals(1, g.rc("put_shared"));
                assertEquals(1, g.rc("put_keep"));

                String list = run(sock, "tmem-list", "-a");
                assertTrue(list.startsWith("G=Tt:"), list);
                assertTrue(list.contains("S=SI:0,PT:ES,U0:1111,U1:2222,SC:" + d + "\n"), list);
                assertTrue(list.contains("C=CI:" + d + ",ww:0,co:0,fr:0,Tc:0,Ge:1,Pp:"), list);
                assertTrue(list.contains("P=CI:" + d + ",PI:1,PT:PP,U0:0,U1:0\n"), list);
                assertTrue(list.endsWith("T\n"), list);
                java.lang.foreign.MemorySegment lb = java.lang.foreign.Arena.ofAuto().allocate(8192);
                // 4.12 libxc: xc_tmem_control(xch, pool_id, cmd, cli_id, len, arg, buf)
                assertEquals(0, XcTmem.xc_tmem_control(xc, -1, TmemConstants.XEN_SYSCTL_TMEM_OP_LIST, d, 8192, 0, lb));
                assertTrue(lb.getString(0).startsWith("C=CI:" + d + ",ww:0,co:0,fr:0,Tc:0,"), lb.getString(0));
                String one = run(sock, "tmem-list", "-l", String.valueOf(d));
                assertTrue(one.startsWith("C=CI:" + d + ","), one);
                assertTrue(one.contains("P=CI:" + d + ",PI:1,PT:PP,U0:0,U1:0,Pc:1,"), one);
                List<XcTmem.PoolInfo> pools = tmem.pools(d);
                assertEquals(3, pools.size());
                assertEquals(new XcTmem.PoolInfo(0x01000001, 1, 1, 0, 0), pools.get(1));
                assertEquals(new XcTmem.PoolInfo(0x01000002, 2, 1, 0x1111, 0x2222), pools.get(2));

                run(sock, "tmem-freeze", String.valueOf(d));
                assertEquals(1, tmem.clientInfo(d)[3] & 1, "frozen bit");
                g.go();
                g.until("WAIT thawed");
                assertEquals(-1000, g.rc("put_frozen"));
                assertEquals(-1000, g.rc("flush_frozen"));
                run(sock, "tmem-thaw", "-a");
                g.go();
                g.until("DONE");
                assertEquals(1, g.rc("put_thawed"));
                assertEquals(1, g.rc("destroy_pool"));
                assertEquals(0, g.p.waitFor());
            }
            run(sock, "tmem-set", String.valueOf(d), "-w", "5", "-p", "1");
            int[] info = tmem.clientInfo(d);
            assertEquals(5, info[4]);
            assertEquals(2, info[3] & 2, "compress bit");
            assertEquals("0\n", run(sock, "tmem-freeable"));
            assertTrue(run(sock, "tmem-flush", "-a").endsWith(" kB freed\n"));
            run(sock, "tmem-shared-auth", String.valueOf(d), "-u", "00000000-0000-2222-0000-000000001111", "-A", "0");
            assertEquals(0, tmem.simple(TmemConstants.XEN_SYSCTL_TMEM_OP_QUERY_FREEABLE_MB, -1, 0));
            run(sock, "tmem-destroy", String.valueOf(d));
            assertEquals(0, tmem.clientInfo(d)[2], "no pools left");
            assertEquals(0, RawToolstack.destroy(xc, d));
            assertNull(tmem.list(d, false), "the dead domain's client is gone");
        } finally {
            org.fallow.abi.fs.SafeFiles.deleteTree(run); // the run dir, its logs and memory files: nothing is left in /tmp
        }
    }

    @Test void seedXcTmemControlWorksAsWrittenWith2009Guest() throws Exception {
        Path run = Files.createTempDirectory(Path.of("/tmp"), "fl");
        try (HypervisorProcess hv = HypervisorProcess.start(run);
             XcHandle xc = XcHandle.open(hv.socket(), AbiProfile.XEN_4_12);
             XcHandle xc9 = XcHandle.open(hv.socket(), AbiProfile.TMEM_2009)) {
            XcTmem t9 = new XcTmem(xc9);
            String sock = hv.socket().toString();
            int d = createGuestDomain(xc);
            try (Guest g = new Guest(hv.socket(), d, AbiProfile.TMEM_2009, run.resolve("guest.log"))) {
                g.until("WAIT frozen");
                assertEquals(0, g.rc("new_pool_v0"));
                assertEquals(-1, g.rc("new_pool_v1"));
                assertEquals(1, g.rc("new_pool_shared_persistent"));
                assertEquals(1, g.rc("put"));
                assertEquals(1, g.rc("get"));
                assertEquals(1, g.rc("get_match"));
                assertEquals(-1001, g.rc("get_exclusive_again"));
                assertEquals(1, g.rc("new_page"));
                assertEquals(1, g.rc("get_new_page"));
                assertEquals(1, g.rc("new_page_zero"));
                assertEquals(0, g.rc("xchg"));
                assertEquals(0, g.rc("unknown_cmd"));
                assertEquals(-19, g.rc("destroy_missing"));
                assertEquals(1, g.rc("put_keep"));
                // the seed's call: xc_tmem_control(xc, pool_id, TMEMC_LIST, cli_id, arg1 = len, arg2 = long, buf)
                java.lang.foreign.MemorySegment buf = java.lang.foreign.Arena.ofAuto().allocate(4096);
                assertEquals(0, XcTmem.xc_tmem_control(xc9, -1, TmemConstants.TMEMC_LIST, -1, 4096, 0, buf));
                String text = buf.getString(0);
                assertTrue(text.contains("C=CI:" + d + ",ww:0,ca:0,co:0,fr:0\n"), text);
                assertTrue(text.contains("P=CI:" + d + ",PI:1,PT:PS,U0:1111,U1:2222\n"), text);
                assertTrue(text.contains("\nT=Gn:"), text);
                assertEquals(0, t9.control2009(-1, TmemConstants.TMEMC_FREEZE, d, 0, 0, null));
                g.go();
                g.until("WAIT thawed");
                assertEquals(-1000, g.rc("put_frozen"));
                run(sock, "tmem-thaw", "--abi", "2009", String.valueOf(d));
                run(sock, "tmem-set", "--abi", "2009", String.valueOf(d), "-w", "3", "-c", "9");
                assertTrue(run(sock, "tmem-list", "--abi", "2009", String.valueOf(d)).startsWith("C=CI:" + d + ",ww:3,ca:9,co:0,fr:0\n"));
                g.go();
                g.until("DONE");
                assertEquals(1, g.rc("destroy_pool"));
            }
            assertEquals(-1, t9.control2009(-1, 77, d, 0, 0, null), "unknown TMEMC subop");
        } finally {
            org.fallow.abi.fs.SafeFiles.deleteTree(run); // the run dir, its logs and memory files: nothing is left in /tmp
        }
    }
}
