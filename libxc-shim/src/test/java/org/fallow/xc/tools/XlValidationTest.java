package org.fallow.xc.tools;

import org.fallow.abi.AbiProfile;
import org.fallow.xc.XcDomain;
import org.fallow.xc.XcHandle;
import org.fallow.abi.process.HypervisorProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The domain commands validate as libxl does and say what went wrong in one line of words, against a hypervisor
 * process (issue 10's findings: mem-set above maxmem, mem-max below the target, negative sizes, errno-only errors,
 * create bigger than the host; domains by name; xl's unit suffixes).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES) // a hang guard
class XlValidationTest {
    static HypervisorProcess hv;
    final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();

    @BeforeAll static void start() throws Exception {
        hv = HypervisorProcess.startInTempDir("flv", "--host-mem", "48");
    }

    @AfterAll static void stop() throws Exception {
        if (hv != null) hv.deleteRunDir();
    }

    int run(String... args) {
        out.reset();
        err.reset();
        String[] full = new String[args.length + 1];
        full[0] = args[0];
        full[1] = "--socket=" + hv.socket();
        System.arraycopy(args, 1, full, 2, args.length - 1);
        return DomainCommands.execute(new PrintStream(out, true), new PrintStream(err, true), full);
    }

    String err() { return err.toString(StandardCharsets.UTF_8).strip(); }

    int create(String name, String memory, String maxmem) {
        assertEquals(0, run("create", "--name", name, "--memory", memory, "--maxmem", maxmem), err());
        return Integer.parseInt(out.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("domid "))
                .findFirst().orElseThrow().substring(6));
    }

    static void oneLineInWords(String message) {
        assertEquals(1, message.lines().count(), message);
        assertFalse(message.matches(".*\\bxc_\\w+.*"), "no libxc function names: " + message);
        assertFalse(message.matches(".*: -\\d+ .*"), "no bare negative errno: " + message);
    }

    @Test void memSetAboveTheMaximumIsRefusedAndChangesNothing() throws Exception {
        int d = create("small", "16", "32");
        try (XcHandle xc = XcHandle.open(hv.socket(), AbiProfile.XEN_4_12)) {
            long maxBefore = new XcDomain(xc).info(d).maxPages();
            assertEquals(1, run("mem-set", Integer.toString(d), "64"));
            assertTrue(err().contains("above its maximum of 32 MiB") && err().contains("mem-max"), err());
            oneLineInWords(err());
            assertEquals(maxBefore, new XcDomain(xc).info(d).maxPages(), "maxmem not raised");
            assertEquals(Long.toString(16 * 1024 - 1024), xc.xenstore().read("/local/domain/" + d + "/memory/target"));
            // by name, with a unit: as xl mem-set small 24m; max_pages = target + 1 MiB (xl enforces)
            assertEquals(0, run("mem-set", "small", "24m"), err());
            assertEquals("", out.toString(StandardCharsets.UTF_8), "mem-set prints nothing, as xl");
            assertEquals("24576", xc.xenstore().read("/local/domain/" + d + "/memory/target"));
            assertEquals(25 * 256, new XcDomain(xc).info(d).maxPages());
            assertEquals(0, run("mem-set", "small", "20480k"), err());
            assertEquals("20480", xc.xenstore().read("/local/domain/" + d + "/memory/target"));
        } finally {
            run("destroy", Integer.toString(d));
        }
    }

    @Test void memMaxBelowTheTargetIsRefused() throws Exception {
        int d = create("maxed", "8", "16");
        try (XcHandle xc = XcHandle.open(hv.socket(), AbiProfile.XEN_4_12)) {
            assertEquals(1, run("mem-max", "maxed", "4"));
            assertTrue(err().contains("below its target of 7 MiB") && err().contains("mem-set"), err());
            oneLineInWords(err());
            assertEquals(17 * 256, new XcDomain(xc).info(d).maxPages(), "unchanged");
            assertEquals(0, run("mem-max", "maxed", "1g"), err());
            assertEquals((1024 + 1) * 256, new XcDomain(xc).info(d).maxPages());
            assertEquals(Long.toString(1024 * 1024), xc.xenstore().read("/local/domain/" + d + "/memory/static-max"));
        } finally {
            run("destroy", "maxed");
        }
    }

    @Test void negativeAndMalformedSizesAreRefusedByTheCommand() {
        int d = create("sizes", "8", "8");
        try {
            for (String bad : new String[]{"-4", "4x", "1.5g", "", "-0"}) {
                int rc = run("mem-set", Integer.toString(d), bad);
                assertNotEquals(0, rc, bad);
                assertTrue(err().contains("invalid memory size") || err().contains("see"), bad + ": " + err());
                assertFalse(err().contains("EINVAL"), "refused before the hypervisor: " + err());
            }
        } finally {
            run("destroy", "sizes");
        }
    }

    @Test void unknownDomainsAndDuplicateNamesAreSaidInWords() {
        assertEquals(1, run("destroy", "999"));
        assertEquals("destroy: no domain 999 (see ./fallow list)", err());
        assertEquals(1, run("mem-set", "nosuch", "8"));
        assertEquals("mem-set: no domain named 'nosuch' (see ./fallow list)", err());
        int d = create("twin", "4", "4");
        try {
            assertEquals(1, run("create", "--name", "twin", "--memory", "4"));
            assertTrue(err().contains("a domain named 'twin' exists already (domain " + d + ")"), err());
        } finally {
            run("destroy", "twin");
        }
    }

    @Test void createBiggerThanTheHostSaysTheHostsSizeAndFreeMemory() {
        assertEquals(1, run("create", "--memory", "1g"));
        String e = err();
        assertTrue(e.contains("cannot create a domain with 1024 MiB of memory") && e.contains("the host has 48 MiB, of which")
                && e.contains("is free") && e.endsWith("[ENOMEM]"), e);
        oneLineInWords(e);
    }

    @Test void aWrongGuestSecretIsSaidInWords() {
        int d = create("secretive", "4", "4");
        try {
            byte[] wrong = new byte[16];
            var e = assertThrows(org.fallow.xc.transport.WireErrorException.class, () -> org.fallow.xc.transport.HypervisorConnection
                    .guest(hv.socket(), d, wrong, AbiProfile.XEN_4_12).close());
            assertEquals("the hypervisor refused guest d" + d + ": the secret is not domain " + d
                    + "'s handle (give the handle that create printed for it) [EACCES]", e.getMessage());
            var gone = assertThrows(org.fallow.xc.transport.WireErrorException.class, () -> org.fallow.xc.transport.HypervisorConnection
                    .guest(hv.socket(), 999, wrong, AbiProfile.XEN_4_12).close());
            assertTrue(gone.getMessage().contains("there is no domain 999") && gone.getMessage().endsWith("[ESRCH]"), gone.getMessage());
        } finally {
            run("destroy", "secretive");
        }
    }

    @Test void xlUnitSuffixes() {
        assertEquals(1024, MemSize.kib("1", "s"));
        assertEquals(1024, MemSize.kib("1m", "s"));
        assertEquals(1024, MemSize.kib("1M", "s"));
        assertEquals(2 * 1024 * 1024, MemSize.kib("2g", "s"));
        assertEquals(1L << 30, MemSize.kib("1t", "s"));
        assertEquals(64, MemSize.kib("64k", "s"));
        assertEquals(4, MemSize.kib("4096b", "s"));
        assertThrows(ToolError.class, () -> MemSize.kib("-4", "s"));
        assertThrows(ToolError.class, () -> MemSize.kib("4mb", "s"));
        assertThrows(ToolError.class, () -> MemSize.kib("99999999999999999999", "s"));
    }
}
