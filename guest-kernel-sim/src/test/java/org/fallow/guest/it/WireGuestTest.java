package org.fallow.guest.it;

import org.fallow.abi.AbiProfile;
import org.fallow.guest.GuestMain;
import org.fallow.hypervisor.core.Domain;
import org.fallow.xc.transport.HypervisorConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ./fallow guest} over a real Unix socket: a PoD guest following memory/target, and a guest process killed mid-run. */
class WireGuestTest {
    static long jsonLong(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\": (-?\\d+)").matcher(json);
        if (!m.find()) throw new AssertionError("no " + key + " in " + json);
        return Long.parseLong(m.group(1));
    }

    static void writeTarget(Path socket, int domid, long staticMaxKib, long targetKib) throws Exception {
        try (HypervisorConnection ts = HypervisorConnection.toolstack(socket, AbiProfile.XEN_4_12)) {
            ts.xenstore().write("/local/domain/" + domid + "/memory/static-max", Long.toString(staticMaxKib));
            ts.xenstore().write("/local/domain/" + domid + "/memory/target", Long.toString(targetKib));
        }
    }

    @Test @Timeout(180)
    void podGuestOverTheSocketBalloonsToItsTargetAndRunsItsWorkload(@TempDir Path dir) throws Exception {
        try (HvBed bed = new HvBed(dir, 16384)) {
            Path socket = bed.serve();
            HvBed.Dom d = bed.createPod(8192, 4096);
            writeTarget(socket, d.domid(), 8192 * 4, 4096 * 4 - 1024);
            Path stats = dir.resolve("stats.json");
            Path secret = dir.resolve("d" + d.domid() + ".secret");
            org.fallow.abi.fs.Secrets.writeFile(secret, d.handle());
            List<String> args = new ArrayList<>(List.of("--domid", "" + d.domid(), "--secret-file", secret.toString(),
                    "--socket", socket.toString(), "--workload", "kbuild", "--ops", "20000", "--boot-scrub", "--vcpus", "2",
                    "--stats-json", stats.toString(), "--progress-every", "0"));
            args.addAll(List.of("--cleancache", "--frontswap"));
            int rc = new CommandLine(new GuestMain()).execute(args.toArray(String[]::new));
            assertEquals(0, rc);
            String json = Files.readString(stats);
            assertEquals((4096 - 256 - 0x20) * 4, jsonLong(json, "current_kb"), json);
            assertEquals(0, jsonLong(json, "data_errors"));
            assertEquals(8192 - 0x20, jsonLong(json, "boot_scrubbed_pages"));
            assertTrue(jsonLong(json, "ops") >= 20000);
            assertEquals(Domain.State.RUNNING, bed.domain(d.domid()).state());
            assertTrue(bed.totPages(d.domid()) <= 4096);
        }
    }

    @Test @Timeout(180)
    void guestProcessKilledMidRunThenDestroyedFreesEverything(@TempDir Path dir) throws Exception {
        try (HvBed bed = new HvBed(dir, 16384)) {
            Path socket = bed.serve();
            long all = bed.hostFreePages();
            HvBed.Dom d = bed.createPlain(4096, 3072);
            List<String> opts = new ArrayList<>(List.of("--workload", "anon-grow", "--ops", "100000000", "--progress-every", "1"));
            opts.addAll(List.of("--cleancache", "--frontswap"));
            org.fallow.guest.GuestProcess gp = org.fallow.guest.GuestProcess.start(socket, d.domid(), d.handle(), null, opts);
            Process p = gp.process();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                int progress = 0;
                for (String line; progress < 3 && (line = out.readLine()) != null; ) if (line.startsWith("dom" + d.domid() + " t=")) progress++;
                assertEquals(3, progress, "the guest was running");
                assertTrue(bed.totPages(d.domid()) > 0);
                assertTrue(bed.tmemList().contains("C=CI:" + d.domid()), "it had a tmem client");
                gp.kill(); // SIGKILL mid-run
                assertTrue(!p.isAlive());
            }
            assertEquals(0, bed.destroy(d.domid()), "toolstack destroy");
            assertTrue(bed.totPages(d.domid()) < 0, "getdomaininfo no longer finds it");
            assertTrue(!bed.tmemList().contains("C=CI:" + d.domid()), "no tmem client left");
            assertTrue(bed.hostCanAllocate(all), "the host gets every page back");
        }
    }

    @Test @Timeout(120)
    void memoryTargetWatchDrivesTheBalloonBothWays(@TempDir Path dir) throws Exception {
        try (HvBed bed = new HvBed(dir, 16384)) {
            Path socket = bed.serve();
            HvBed.Dom d = bed.createPlain(4096, 4096);
            try (var platform = org.fallow.guest.WireGuestPlatform.connect(socket, d.domid(), d.handle(), AbiProfile.XEN_4_12)) {
                var clock = new org.fallow.guest.GuestClock.Simulated();
                var g = new org.fallow.guest.GuestSystem(platform.memory(), platform.hypercaller(),
                        org.fallow.guest.GuestTunables.defaults().cleancache(false).frontswap(false), clock,
                        new org.fallow.guest.GuestSystem.BootOptions(false, false, 0, AbiProfile.XEN_4_12));
                var targets = new java.util.concurrent.LinkedBlockingQueue<Long>();
                platform.watchTarget(targets::add);
                try (HypervisorConnection ts = HypervisorConnection.toolstack(socket, AbiProfile.XEN_4_12)) {
                    for (long kib : new long[] {2048 * 4, 3000 * 4}) { // xl mem-set down, then up again
                        ts.xenstore().write("/local/domain/" + d.domid() + "/memory/target", Long.toString(kib));
                        Long got;
                        do { got = targets.poll(30, TimeUnit.SECONDS); } while (got != null && got != kib);
                        assertEquals(kib, got, "watch event delivered");
                        g.balloon().onXenstoreTarget(got, clock.nowMs());
                        g.settleBalloon(10_000);
                        assertEquals(kib / 4, g.kernel().currentPages());
                        assertEquals(kib / 4, bed.totPages(d.domid()), "tot_pages follows the balloon");
                    }
                }
            }
        }
    }

    @Test @Timeout(120)
    void withADurationAndNoOpsBudgetTheGuestRunsForTheWholeDuration(@TempDir Path dir) throws Exception {
        try (HvBed bed = new HvBed(dir, 16384)) {
            Path socket = bed.serve();
            HvBed.Dom d = bed.createPlain(2048, 2048);
            Path stats = dir.resolve("timed.json");
            Path secret = dir.resolve("d" + d.domid() + ".secret");
            org.fallow.abi.fs.Secrets.writeFile(secret, d.handle());
            int rc = new CommandLine(new GuestMain()).execute("--domid", "" + d.domid(), "--secret-file",
                    secret.toString(), "--socket", socket.toString(), "--workload", "anon-grow",
                    "--duration", "30", "--step-ms", "20", "--progress-every", "0", "--stats-json", stats.toString());
            assertEquals(0, rc);
            String json = Files.readString(stats);
            long t = jsonLong(json, "guest_time_ms");
            assertTrue(t >= 30_000 && t < 30_000 + 20 + 1, "ran the whole 30 s of guest time: " + t);
            assertTrue(jsonLong(json, "swap_outs") > 0, "several grow cycles past RAM");
        }
    }
}
