package org.fallow.cli;

import org.fallow.abi.fs.SafeFiles;
import org.fallow.abi.AbiProfile;
import org.fallow.conformance.MappedFile;
import org.fallow.conformance.RawConnection;
import org.fallow.conformance.RawFrame;
import org.fallow.conformance.Wire;
import org.fallow.guest.GuestProcess;
import org.fallow.abi.process.HypervisorProcess;
import org.fallow.xc.transport.HypervisorConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Regression tests for findings 1, 2 and 8 of issue 14 (docs/SECURITY.md), each as the attacker tried it, against a
 * real hypervisor process. Only public APIs that existed before the fix are used, so the class also runs (and
 * fails) against the code the findings were made on.
 */
@Timeout(300)
class SecurityFindingsTest {
    private static final int NOBODY = 65534;
    private Path tmp;
    private final List<HypervisorProcess> hypervisors = new ArrayList<>();
    private final List<Process> others = new ArrayList<>();

    @BeforeEach void setUp() throws IOException { tmp = Files.createTempDirectory(Path.of("/tmp"), "fsec"); }

    @AfterEach void tearDown() {
        for (Process p : others) p.destroyForcibly();
        for (HypervisorProcess h : hypervisors) h.close();
        SafeFiles.deleteTreeQuietly(tmp);
    }

    private record Out(int code, String text) { }

    private static synchronized Out run(String... args) {
        PrintStream old = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8);
        System.setOut(ps);
        System.setErr(ps);
        try {
            return new Out(FallowMain.commandLine().execute(args), buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(old);
            System.setErr(oldErr);
        }
    }

    private HypervisorProcess hypervisor(Path runDir) throws IOException {
        HypervisorProcess h = HypervisorProcess.start(runDir, "--host-mem", "64");
        hypervisors.add(h);
        return h;
    }

    /** Creates a domain through the toolstack command; returns {domid, handle hex}. */
    private static String[] create(Path runDir) {
        Out o = run("--run-dir", runDir.toString(), "create", "--memory", "4");
        assertEquals(0, o.code, o.text);
        Matcher d = Pattern.compile("domid (\\d+)").matcher(o.text);
        Matcher h = Pattern.compile("handle ([0-9a-f]{32})").matcher(o.text);
        assertTrue(d.find() && h.find(), o.text);
        return new String[] {d.group(1), h.group(1)};
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    private static String cmdline(long pid) throws IOException {
        return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
    }

    // ---- finding 1: guest memory files readable by other users; secrets in ps ---------------------------------------

    @Test void finding1_runDirIs0700AndGuestMemoryFilesAndArenasAre0600() throws Exception {
        Path runDir = tmp.resolve("run");                      // the hypervisor creates it
        HypervisorProcess h = hypervisor(runDir);
        String[] dom = create(runDir);
        assertEquals("rwx------", mode(runDir), "run directory");
        assertEquals("rw-------", mode(runDir.resolve("dom" + dom[0] + ".mem")));
        assertEquals("rw-------", mode(runDir.resolve("dom" + dom[0] + ".p2m")));
        assertEquals("rw-------", mode(h.socket()), "socket: only this user connects");
        try (HypervisorConnection ts = HypervisorConnection.toolstack(h.socket(), AbiProfile.XEN_4_12)) {
            List<Path> arenas;
            try (Stream<Path> s = Files.list(runDir)) {
                arenas = s.filter(p -> p.getFileName().toString().endsWith(".arena")).toList();
            }
            assertFalse(arenas.isEmpty(), "the toolstack's arena is in the run directory");
            for (Path a : arenas) assertEquals("rw-------", mode(a), a.toString());
        }
    }

    @Test void finding1_aGuestsSecretIsNotOnItsCommandLine() throws Exception {
        Path runDir = tmp.resolve("run");
        HypervisorProcess h = hypervisor(runDir);
        String[] dom = create(runDir);
        byte[] handle = HexFormat.of().parseHex(dom[1]);
        try (GuestProcess g = GuestProcess.start(h.socket(), Integer.parseInt(dom[0]), handle, tmp.resolve("guest.log"),
                List.of("--workload", "anon-grow", "--duration", "600", "--time-scale", "1", "--progress-every", "0"))) {
            String argv = cmdline(g.process().pid());
            for (int i = 0; i < 100 && !argv.contains("--domid") && g.process().isAlive(); i++) { // exec may lag start()
                Thread.sleep(50);
                argv = cmdline(g.process().pid());
            }
            assertTrue(argv.contains("--domid"), argv);
            assertFalse(argv.contains(dom[1]), "ps shows the domain's secret: " + argv);
        }
    }

    // ---- finding 2: predictable run dir, symlinks followed, toolstack without credential, arena anywhere ------------

    @Test void finding2_aRunDirectoryOfAnotherUserIsRefused() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "chown to another user needs root");
        Path runDir = Files.createDirectory(tmp.resolve("fallow-victim")); // pre-created by "someone else"
        Files.setPosixFilePermissions(runDir, PosixFilePermissions.fromString("rwx------"));
        Files.setAttribute(runDir, "unix:uid", NOBODY);
        IOException e = assertThrows(IOException.class, () -> hypervisor(runDir));
        assertTrue(e.getMessage().contains("owned by uid " + NOBODY), e.getMessage());
    }

    @Test void finding2_aWorldWritableRunDirectoryIsRefused() throws Exception {
        Path runDir = Files.createDirectory(tmp.resolve("open"));
        Files.setPosixFilePermissions(runDir, PosixFilePermissions.fromString("rwxrwxrwx"));
        IOException e = assertThrows(IOException.class, () -> hypervisor(runDir));
        assertTrue(e.getMessage().contains("world-writable"), e.getMessage());
    }

    @Test void finding2_aDomFileSymlinkIsNotFollowed() throws Exception {
        Path victim = Files.writeString(tmp.resolve("victim"), "root-owned contents");
        Path runDir = Files.createDirectory(tmp.resolve("run"));
        Files.setPosixFilePermissions(runDir, PosixFilePermissions.fromString("rwx------"));
        Files.createSymbolicLink(runDir.resolve("dom1.mem"), victim);
        Files.createSymbolicLink(runDir.resolve("dom1.p2m"), victim);
        hypervisor(runDir);
        String[] dom = create(runDir);
        assertEquals("1", dom[0]);
        assertEquals("root-owned contents".length(), Files.size(victim), "the victim file was truncated or grown through a link");
        assertEquals("root-owned contents", Files.readString(victim));
        assertFalse(Files.isSymbolicLink(runDir.resolve("dom1.mem")));
    }

    @Test void finding2_anArenaOutsideTheRunDirectoryIsNotMapped() throws Exception {
        Path runDir = tmp.resolve("run");
        HypervisorProcess h = hypervisor(runDir);
        Path elsewhere = Files.createDirectory(tmp.resolve("elsewhere"));
        try (MappedFile outside = MappedFile.create(elsewhere.resolve("secret-arena"), 8192);
             RawConnection c = RawConnection.open(h.socket())) {
            c.send(Wire.HELLO, 1, Wire.hello(Wire.ROLE_TOOLSTACK, Wire.PROFILE_412, 0, null, 0x10000000L, 8192,
                    outside.path().toString()));
            RawFrame ack = c.read();
            assertEquals(Wire.HELLO_ACK, ack.type());
            assertEquals(-22, ack.status(), "an arena the client names outside the run directory is -EINVAL");
        }
        Path link = runDir.resolve("xc-" + ProcessHandle.current().pid() + "-999.arena");
        Path target = Files.write(elsewhere.resolve("target"), new byte[8192]);
        Files.createSymbolicLink(link, target);
        try (RawConnection c = RawConnection.open(h.socket())) {
            c.send(Wire.HELLO, 1, Wire.hello(Wire.ROLE_TOOLSTACK, Wire.PROFILE_412, 0, null, 0x10000000L, 8192, link.toString()));
            assertEquals(-22, c.read().status(), "an arena named through a link is -EINVAL");
        } finally {
            Files.deleteIfExists(link);
        }
    }

    @Test void finding2_theToolstackRoleNeedsTheHypervisorsUidOrRoot() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "connecting as another uid needs root");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv (util-linux) runs the client as another uid");
        Path runDir = tmp.resolve("run");
        HypervisorProcess h = hypervisor(runDir);
        // the same client twice: as root (the hypervisor's uid) and as nobody, who keeps CAP_DAC_OVERRIDE only to
        // reach the socket at all (the 0700 run dir would stop it first), so the credential check itself is tested
        assertEquals("0", probe(h.socket(), List.of()).strip(), "root is the toolstack");
        String asNobody = probe(h.socket(), List.of("/usr/bin/setpriv", "--reuid", "" + NOBODY, "--regid", "" + NOBODY,
                "--clear-groups", "--inh-caps", "+dac_override", "--ambient-caps", "+dac_override"));
        assertEquals("-1", asNobody.strip(), "uid " + NOBODY + " must not get the toolstack role (-EPERM)");
    }

    /** Runs {@link ToolstackHelloProbe} (prefixed by {@code wrapper}) and returns what it printed. */
    private String probe(Path socket, List<String> wrapper) throws Exception {
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.addAll(org.fallow.abi.process.ChildJvm.command(List.of(), ToolstackHelloProbe.class.getName(), List.of(socket.toString())));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        others.add(p);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    // ---- finding 8: paging stop obeys stale pid files; a dead hypervisor's files stay forever ----------------------

    @Test void finding8_pagingStopNeverSignalsWhatAStalePidFileNames() throws Exception {
        Path runDir = tmp.resolve("run");
        hypervisor(runDir);
        Process innocent = new ProcessBuilder("sleep", "600").start();
        others.add(innocent);
        Path pidFile = runDir.resolve("xenpaging-7.pid");        // domain 7 does not exist; the pid is reused
        Files.writeString(pidFile, innocent.pid() + "\n");
        Out o = run("--run-dir", runDir.toString(), "paging", "stop", "7");
        assertNotEquals(0, o.code, o.text);
        assertFalse(innocent.waitFor(1, TimeUnit.SECONDS), "paging stop killed an unrelated process: " + o.text);
        assertTrue(innocent.isAlive());
        assertFalse(Files.exists(pidFile), "a stale pid file is removed");
    }

    @Test void finding8_aRestartedHypervisorRemovesWhatAKilledOneLeft() throws Exception {
        Path runDir = tmp.resolve("run");
        HypervisorProcess first = hypervisor(runDir);
        String[] dom = create(runDir);
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path deadArena = Files.write(runDir.resolve("xc-" + gone.pid() + "-1.arena"), new byte[4096]);
        Path stalePid = Files.writeString(runDir.resolve("xenpaging-" + dom[0] + ".pid"), gone.pid() + "\n");
        Path mem = runDir.resolve("dom" + dom[0] + ".mem");
        Path p2m = runDir.resolve("dom" + dom[0] + ".p2m");
        assertTrue(Files.exists(mem) && Files.exists(p2m));
        ProcessHandle ph = ProcessHandle.of(first.pid()).orElseThrow();
        ph.destroyForcibly();                                          // SIGKILL: no shutdown hook runs
        ph.onExit().get(60, TimeUnit.SECONDS);
        assertFalse(first.isAlive());
        assertTrue(Files.exists(mem), "SIGKILL leaves the files behind");

        Path keep = Files.writeString(runDir.resolve("notes.txt"), "not Fallow's");
        Path victim = Files.writeString(tmp.resolve("victim"), "keep");
        Path link = Files.createSymbolicLink(runDir.resolve("dom9.mem"), victim);
        hypervisor(runDir);
        for (Path p : List.of(mem, p2m, deadArena, stalePid))
            assertFalse(Files.exists(p, LinkOption.NOFOLLOW_LINKS), p + " was left behind by the dead hypervisor");
        assertTrue(Files.exists(keep), "files that are not Fallow's stay");
        assertEquals("keep", Files.readString(victim), "cleanup never follows a link");
        assertTrue(Files.isSymbolicLink(link), "a link is not a regular file of ours: left alone");
    }
}
