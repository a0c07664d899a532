package org.fallow.xc.xen;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.wire.RunDirectory;
import org.fallow.xc.XcDomain;
import org.fallow.xc.XcHandle;
import org.fallow.abi.process.HypervisorProcess;
import org.fallow.xc.tools.DomainCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Debian's unmodified {@code xl} (Xen 4.17) through the privcmd bridge ({@link XenBridge}, PROTOCOL §8) against a
 * spawned hypervisor, checked against what Fallow's own client reads: {@code xl list} shows the domains
 * {@code fallow create} made with their names and memory, {@code xl info} the host's total and free memory,
 * {@code xl mem-max} / {@code mem-set} change max_pages and the xenstore target, {@code xl pause} / {@code unpause}
 * the pause flag, and {@code xl destroy} (which forks: the child reconnects) removes the domain. Under CI=true missing
 * packages or gcc fail the test; elsewhere it is skipped.
 */
@Timeout(600)
class RealXlToolsTest {
    static final int HOST_MIB = 256;
    private static HypervisorProcess hv;
    private static XenTool xen;
    private static XcHandle xc;
    private static XcDomain dom;

    @BeforeAll
    static void start() throws Exception {
        XenPackages pkgs = RealXenKit.packagesOrAbort(true);
        hv = HypervisorProcess.startInTempDir("fxl", "--host-mem", String.valueOf(HOST_MIB), "--threads", "1");
        RealXenKit.awaitXenstoredSocket(hv.runDir(), hv::isAlive, hv::logText);
        xen = new XenTool(pkgs, hv.runDir());
        xc = XcHandle.open(hv.socket(), AbiProfile.XEN_4_12);
        dom = new XcDomain(xc);
    }

    @AfterAll
    static void stop() throws IOException {
        if (xc != null) xc.close();
        if (hv != null) {
            hv.close();
            hv.deleteRunDir();
        }
    }

    /** {@code fallow create} (the toolstack command) → the new domid. */
    private static int create(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String[] full = new String[args.length + 3];
        full[0] = "create";
        System.arraycopy(args, 0, full, 1, args.length);
        full[args.length + 1] = "--socket";
        full[args.length + 2] = hv.socket().toString();
        assertEquals(0, DomainCommands.execute(new PrintStream(out, true, StandardCharsets.UTF_8), System.err, full));
        Matcher m = Pattern.compile("domid (\\d+)").matcher(out.toString(StandardCharsets.UTF_8));
        assertTrue(m.find(), out::toString);
        return Integer.parseInt(m.group(1));
    }

    private static XenTool.Result xl(String... args) throws Exception {
        XenTool.Result r = xen.run("xl", args);
        assertEquals(0, r.exit(), () -> "xl " + String.join(" ", args) + ": " + r + "\n" + logTails());
        return r;
    }

    /** The last lines of the hypervisor's and the bridge's logs, for failure messages. */
    static String logTails() {
        StringBuilder b = new StringBuilder("hypervisor log (tail):\n");
        String hvLog = hv.logText();
        b.append(hvLog, Math.max(0, hvLog.length() - 4000), hvLog.length());
        try {
            Path log = hv.runDir().resolve(XenBridge.LOG_NAME);
            if (Files.exists(log)) {
                String t = Files.readString(log);
                t = String.join("\n", t.lines().filter(l -> !l.contains(" redirect ")).toList());
                b.append("\nbridge log (tail):\n").append(t, Math.max(0, t.length() - 6000), t.length());
            }
        } catch (IOException e) {
            b.append("\n(bridge log unreadable: ").append(e).append(')');
        }
        return b.toString();
    }

    /** xl list rows by name: {id, mem MiB, vcpus} and the state column. */
    private static Map<String, String[]> xlList() throws Exception {
        Map<String, String[]> rows = new HashMap<>();
        String[] lines = xl("list").out().split("\n");
        assertTrue(lines[0].startsWith("Name") && lines[0].contains("Mem") && lines[0].contains("State"), lines[0]);
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].trim().split("\\s+");
            if (f.length >= 6) rows.put(f[0], f);
        }
        return rows;
    }

    @Test
    void xlListShowsOurDomainsWithNamesAndMemoryAndXlInfoTheHostMemory() throws Exception {
        int web = create("--memory", "32", "--name", "xlweb");
        int db = create("--memory", "48", "--maxmem", "96", "--name", "xldb");
        Map<String, String[]> rows = xlList();
        for (var e : Map.of("xlweb", web, "xldb", db).entrySet()) {
            String[] row = rows.get(e.getKey());
            assertNotNull(row, () -> e.getKey() + " missing from xl list: " + rows.keySet());
            XcDomain.DomainInfo info = dom.info(e.getValue());
            assertEquals(String.valueOf(e.getValue()), row[1], "ID");
            assertEquals(String.valueOf(info.totPages() * 4 / 1024), row[2], "Mem (MiB) = tot_pages");
            assertEquals("1", row[3], "VCPUs");
            assertEquals("r-----", row[4], "running");
        }
        Map<String, String> info = new HashMap<>();
        for (String line : xl("info").out().split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) info.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
        }
        assertEquals(String.valueOf(HOST_MIB), info.get("total_memory"));
        long used = 0;
        for (XcDomain.DomainInfo i : dom.xc_domain_getinfolist(0, 1024)) used += i.totPages();
        assertEquals(String.valueOf((HOST_MIB * 256L - used) / 256), info.get("free_memory"), "free = host - every tot_pages");
        assertEquals("4", info.get("xen_major"));
        assertEquals("17", info.get("xen_minor"));
        assertEquals("credit2", info.get("xen_scheduler"));
        assertEquals(0, dom.xc_domain_destroy(web));
        assertEquals(0, dom.xc_domain_destroy(db));
    }

    @Test
    void xlMemMaxAndMemSetPauseUnpauseAndDestroy() throws Exception {
        int d = create("--memory", "32", "--maxmem", "64", "--name", "xlmem");
        xl("mem-max", String.valueOf(d), "48");
        assertEquals((48 + 1) * 256L, dom.info(d).maxPages(), "max_pages = 48 MiB + LIBXL_MAXMEM_CONSTANT");
        xl("mem-set", String.valueOf(d), "24");
        assertEquals("24576", xc.xenstore().read("/local/domain/" + d + "/memory/target"), "target in KiB");

        xl("pause", String.valueOf(d));
        assertTrue(dom.info(d).paused());
        assertEquals("--p---", xlList().get("xlmem")[4]);
        xl("unpause", String.valueOf(d));
        assertFalse(dom.info(d).paused());

        Path log = hv.runDir().resolve(XenBridge.LOG_NAME);
        long before = Files.exists(log) ? Files.readAllLines(log).size() : 0;
        xl("destroy", String.valueOf(d));
        assertTrue(dom.xc_domain_getinfolist(d, 1).stream().noneMatch(i -> i.domid() == d), "domain gone");
        assertFalse(xlList().containsKey("xlmem"));
        // libxl destroys from a forked child: it opened its own connection (fork safety of the bridge)
        var lines = Files.readAllLines(log);
        long connects = lines.subList((int) before, lines.size()).stream().filter(l -> l.contains(": connected to")).count();
        assertTrue(connects >= 2, "parent and forked child each connected:\n" + String.join("\n", lines.subList((int) before, lines.size())));
        // every unserved call is logged once per process, with its name (libxendevicemodel's DM_OP probe)
        java.util.Map<String, Long> dmOpPerPid = lines.stream().filter(l -> l.contains("unserved: IOCTL_PRIVCMD_DM_OP"))
                .collect(java.util.stream.Collectors.groupingBy(l -> l.replaceAll("^\\S+ pid (\\d+):.*", "$1"),
                        java.util.stream.Collectors.counting()));
        assertFalse(dmOpPerPid.isEmpty(), "the DM_OP probe is logged by name");
        assertTrue(dmOpPerPid.values().stream().allMatch(n -> n == 1), "once per process: " + dmOpPerPid);
    }
}
