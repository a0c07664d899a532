package org.fallow.guest.mem;

import org.fallow.abi.AbiProfile;
import org.fallow.guest.GuestProcess;
import org.fallow.xc.XcDomain;
import org.fallow.xc.XcHandle;
import org.fallow.abi.process.HypervisorProcess;
import org.fallow.xc.tools.DomainCommands;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The seed-003 scenario across processes: a hypervisor process, the toolstack commands in this JVM, and the guest as a
 * separate process ({@code ./fallow guest --boot-scrub}, {@link GuestProcess}) talking over the Unix socket and the
 * shared memory files: its start-of-day scrubber touches all of its memory on 2 vCPUs, then its balloon driver inflates
 * to {@code memory/target}; without a balloon driver the same guest is crashed.
 */
@Timeout(300)
class PodOverSocketTest {
    private static Map<String, String> run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = DomainCommands.execute(new PrintStream(out, true), new PrintStream(err, true), args);
        assertEquals(0, rc, "xl " + String.join(" ", args) + ": " + err.toString(StandardCharsets.UTF_8));
        return parse(out.toString(StandardCharsets.UTF_8));
    }

    private static Map<String, String> parse(String text) {
        return text.lines().filter(l -> l.contains(" ")).collect(Collectors.toMap(l -> l.substring(0, l.indexOf(' ')),
                l -> l.substring(l.indexOf(' ') + 1), (a, b) -> b));
    }

    private record Guest(int exit, String output) {}

    private static Guest guest(Path dir, Path socket, Map<String, String> created, String... extra) throws Exception {
        Path log = dir.resolve("guest" + created.get("domid") + ".log");
        List<String> args = new ArrayList<>(List.of("--boot-scrub", "--vcpus", "2", "--workload", "anon-grow",
                "--ops", "20000", "--progress-every", "0"));
        args.addAll(List.of(extra));
        try (GuestProcess p = GuestProcess.start(socket, Integer.parseInt(created.get("domid")),
                HexFormat.of().parseHex(created.get("handle")), log, args)) {
            int exit = p.await(240, TimeUnit.SECONDS);
            if (exit < 0) fail("guest process hung:\n" + Files.readString(log));
            return new Guest(exit, Files.readString(log));
        }
    }

    private static long jsonLong(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\": (-?\\d+)").matcher(json);
        if (!m.find()) throw new AssertionError("no " + key + " in " + json);
        return Long.parseLong(m.group(1));
    }

    @Test void aBalloonedGuestSurvivesAndAnUnballoonedOneCrashes() throws Exception {
        HypervisorProcess hv = HypervisorProcess.startInTempDir("flm", "--host-mem", "64");
        Path dir = hv.runDir();
        try {
            String sock = hv.socket().toString();
            // maxmem=512 memory=256, scaled to 8 MiB / 4 MiB
            Map<String, String> a = run("create", "--socket", sock, "--memory", "4", "--maxmem", "8", "--name", "pod-a");
            Map<String, String> b = run("create", "--socket", sock, "--memory", "4", "--maxmem", "8", "--name", "pod-b");
            int da = Integer.parseInt(a.get("domid")), db = Integer.parseInt(b.get("domid"));
            try (XcHandle xc = XcHandle.open(hv.socket(), AbiProfile.XEN_4_12)) {
                XcDomain dom = new XcDomain(xc);
                assertEquals(1024 - 0x20, dom.info(da).totPages(), "memory=4 MiB less the VGA hole is backed");
                assertEquals(2048 + 256, dom.info(da).maxPages(), "maxmem + LIBXL_MAXMEM_CONSTANT");
                XcDomain.PodTarget pt = dom.xc_domain_get_pod_target(da);
                assertEquals(0, pt.rc());
                assertEquals(2048 - 0xC0, pt.podEntries());

                Path statsA = dir.resolve("stats-a.json");
                Guest ga = guest(dir, hv.socket(), a, "--stats-json", statsA.toString());
                assertEquals(0, ga.exit(), ga.output());
                String ja = Files.readString(statsA);
                assertEquals(2048 - 0x20, jsonLong(ja, "boot_scrubbed_pages"), "the scrubber touched every RAM frame");
                assertEquals(2048 - 1024 + 256, jsonLong(ja, "pages_decreased"), "maxmem - target (+ libxl's 1 MiB fudge)");
                assertEquals((1024 - 256 - 0x20) * 4, jsonLong(ja, "current_kb"), ja);
                assertTrue(jsonLong(ja, "swap_outs") > 0, "the workload used every frame the guest kept: " + ja);
                assertEquals(0, jsonLong(ja, "data_errors"), "no guest data lost");
                XcDomain.DomainInfo ia = dom.info(da);
                assertFalse(ia.crashed());
                assertTrue(ia.totPages() <= 1024 - 0x20, "tot_pages " + ia.totPages());
                XcDomain.PodTarget after = dom.xc_domain_get_pod_target(da);
                assertTrue(after.podEntries() <= after.podCachePages(), after.toString());

                Guest gb = guest(dir, hv.socket(), b, "--no-balloon");
                assertEquals(3, gb.exit(), "exit 3: the domain died\n" + gb.output());
                XcDomain.DomainInfo ib = dom.info(db);
                assertTrue(ib.crashed(), "getdomaininfo shows shutdown/crash: flags 0x" + Integer.toHexString(ib.flags()));

                assertEquals("pod-a", xc.xenstore().read("/local/domain/" + da + "/name"));
                assertEquals("pod-b", xc.xenstore().read("/local/domain/" + db + "/name"));

                run("destroy", "--socket", sock, a.get("domid"));
                run("destroy", "--socket", sock, b.get("domid"));
                assertNull(dom.info(da));
                assertTrue(dom.xc_domain_getinfo(0, 10).isEmpty());
                assertFalse(Files.exists(hv.runDir().resolve("dom" + da + ".mem")));
            }
        } finally {
            hv.deleteRunDir();
        }
    }
}
