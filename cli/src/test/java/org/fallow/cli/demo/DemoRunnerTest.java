package org.fallow.cli.demo;

import org.fallow.abi.fs.SafeFiles;
import org.fallow.cli.stats.DomainSample;
import org.fallow.cli.stats.HostSample;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A small demo end to end: a hypervisor process, a PoD-booted guest and a cleancache guest as processes, sampled
 * through the toolstack; the report, samples and chart are written from what the hypervisor reported.
 */
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang guard: the guests end by their work
class DemoRunnerTest {
    private Path runDir;

    @AfterEach
    void cleanUp() {
        if (runDir != null) SafeFiles.deleteTreeQuietly(runDir);
    }

    @Test
    void smallScenarioRunsToTheEndAndReportsTheHypervisorsFigures(@TempDir Path out) throws Exception {
        Properties p = new Properties();
        p.setProperty("host.mib", "64");
        p.setProperty("work", "1");
        p.setProperty("sample.ms", "200");
        p.setProperty("time.scale", "5");
        p.setProperty("guests", "pod,cache,paged");
        p.setProperty("guest.pod.role", "pod");
        p.setProperty("guest.pod.memory.mib", "12");
        p.setProperty("guest.pod.maxmem.mib", "24");
        p.setProperty("guest.pod.workload", "kbuild");
        p.setProperty("guest.pod.ops", "300000");
        p.setProperty("guest.pod.args", "--boot-scrub");
        p.setProperty("guest.cache.role", "tmem");
        p.setProperty("guest.cache.memory.mib", "16");
        p.setProperty("guest.cache.workload", "zipf-files");
        p.setProperty("guest.cache.ops", "30000");
        p.setProperty("guest.cache.args", "--cleancache");
        p.setProperty("guest.cache.start.ms", "300");
        p.setProperty("guest.paged.role", "paged");
        p.setProperty("guest.paged.memory.mib", "12");
        p.setProperty("guest.paged.actmem.mib", "4");
        p.setProperty("guest.paged.workload", "zipf-files");
        p.setProperty("guest.paged.ops", "300000");
        p.setProperty("guest.paged.start.ms", "600");
        p.setProperty("guest.paged.paging.start.ms", "1000");
        Scenario s = Scenario.from(p);
        runDir = Files.createTempDirectory(Path.of("/tmp"), "fl");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        DemoRunner.Result r = new DemoRunner(s, out, runDir, XcDemoToolstack::open, new PrintStream(console, true)).run();
        String text = console.toString();

        assertNull(r.failure(), text);
        assertEquals(0, r.guestExitCodes().get("pod"), text);
        assertEquals(0, r.guestExitCodes().get("cache"), text);
        assertEquals(0, r.guestExitCodes().get("paged"), text);
        List<HostSample> samples = r.series().samples();
        assertTrue(samples.size() >= 5, "samples: " + samples.size());
        for (HostSample h : samples) {
            assertEquals(64 * 256, h.totalPages());
            assertTrue(h.freePages() + h.domainPages() <= h.totalPages() + 256, "no more memory than the host has: " + h);
        }
        int podDomid = r.series().domids().stream().filter(d -> r.series().name(d).equals("pod")).findFirst().orElseThrow();
        int cacheDomid = r.series().domids().stream().filter(d -> r.series().name(d).equals("cache")).findFirst().orElseThrow();
        DomainSample firstPod = samples.stream().map(h -> h.domain(podDomid)).filter(d -> d != null).findFirst().orElseThrow();
        assertEquals(25 * 256, firstPod.maxPages(), "maxmem 24 MiB + 1 MiB");
        assertTrue(firstPod.podEntries() > 0, "booted on populate-on-demand: " + firstPod);
        assertTrue(samples.stream().map(h -> h.domain(podDomid)).filter(d -> d != null)
                .allMatch(d -> d.totPages() <= 12 * 256), "a PoD guest never holds more than its target");
        assertTrue(samples.stream().map(h -> h.domain(cacheDomid)).filter(d -> d != null)
                .anyMatch(d -> d.tmemEphPages() > 0 && d.ephGets() > 0), "cleancache reached the hypervisor's tmem");
        int pagedDomid = r.series().domids().stream().filter(d -> r.series().name(d).equals("paged")).findFirst().orElseThrow();
        assertTrue(samples.stream().map(h -> h.domain(pagedDomid)).filter(d -> d != null)
                .anyMatch(d -> d.pagedPages() > 0 && d.totPages() <= 4 * 256), "xenpaging took the guest down to its actmem");
        assertTrue(Files.exists(out.resolve("logs/paged-xenpaging.log")));
        assertTrue(samples.getLast().domains().isEmpty(), "every domain destroyed at the end: " + samples.getLast());

        assertTrue(r.report().contains("guests configured for 52 MiB in total"), r.report());
        assertTrue(r.report().lines().anyMatch(l -> l.matches("\\s*\\d+\\s+pod\\s+PoD boot\\s+12/24\\s.*done")), r.report());
        byte[] png = Files.readAllBytes(r.png());
        assertEquals((byte) 0x89, png[0]);
        assertTrue(Files.readString(r.svg()).contains("<svg"));
        assertEquals(samples.size(), Files.readAllLines(r.jsonl()).size());
        assertEquals(samples.size() + 1, Files.readAllLines(r.csv()).size());
        assertTrue(Files.exists(out.resolve("logs/hypervisor.log")) && Files.exists(out.resolve("logs/pod.log")));
        assertTrue(text.contains("dom" + podDomid + " pod (PoD boot, 12/24 MiB) started"), text);
    }
}
