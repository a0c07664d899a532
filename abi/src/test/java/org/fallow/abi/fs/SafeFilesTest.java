package org.fallow.abi.fs;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class SafeFilesTest {
    private static final int NOBODY = 65534;
    private Path tmp;

    @BeforeEach void setUp() throws IOException { tmp = Files.createTempDirectory(Path.of("/tmp"), "fsafe"); }

    @AfterEach void tearDown() throws IOException {
        try (var w = Files.walk(tmp)) {
            for (Path p : w.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    private static String perms(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    @Test void runDirAndMissingParentsAreCreated0700() throws IOException {
        Path dir = tmp.resolve("a/b/run");
        assertEquals(dir, SafeFiles.ensurePrivateDir(dir));
        assertEquals("rwx------", perms(dir));
        assertEquals("rwx------", perms(tmp.resolve("a")));
        assertEquals(SafeFiles.uid(), SafeFiles.ownerUid(dir));
    }

    @Test void anExistingOwnRunDirReadableByOthersIsTightened() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("run"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        SafeFiles.ensurePrivateDir(dir);
        assertEquals("rwx------", perms(dir));
    }

    @Test void aWorldOrGroupWritableRunDirIsRefused() throws IOException {
        for (String mode : new String[] {"rwxrwxrwx", "rwxrwx---", "rwx----w-"}) {
            Path dir = Files.createDirectory(tmp.resolve("run-" + mode.replace('-', '_')));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
            UnsafePathException e = assertThrows(UnsafePathException.class, () -> SafeFiles.ensurePrivateDir(dir));
            assertTrue(e.getMessage().contains("group- or world-writable"), e.getMessage());
            assertEquals(mode, perms(dir), "a refused directory is left alone");
        }
    }

    @Test void aSymlinkedRunDirIsRefused() throws IOException {
        Path real = Files.createDirectory(tmp.resolve("real"));
        Path link = Files.createSymbolicLink(tmp.resolve("run"), real);
        UnsafePathException e = assertThrows(UnsafePathException.class, () -> SafeFiles.ensurePrivateDir(link));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        assertThrows(UnsafePathException.class, () -> SafeFiles.checkTrustedDir(link));
    }

    @Test void aRunDirPreCreatedByAnotherUserIsRefused() throws IOException {
        assumeTrue(SafeFiles.isRoot(), "chown to another user needs root");
        Path dir = Files.createDirectory(tmp.resolve("fallow-victim"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Files.setAttribute(dir, "unix:uid", NOBODY);
        UnsafePathException e = assertThrows(UnsafePathException.class, () -> SafeFiles.ensurePrivateDir(dir));
        assertTrue(e.getMessage().contains("owned by uid " + NOBODY), e.getMessage());
    }

    @Test void createNewIs0600AndNeverFollowsALink() throws IOException {
        Path target = Files.writeString(tmp.resolve("precious"), "keep");
        Path link = Files.createSymbolicLink(tmp.resolve("dom1.mem"), target);
        assertThrows(FileAlreadyExistsException.class, () -> SafeFiles.createNew(link));
        assertEquals("keep", Files.readString(target));
        Path fresh = tmp.resolve("dom2.mem");
        try (FileChannel ch = SafeFiles.createNew(fresh)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}));
        }
        assertEquals("rw-------", perms(fresh));
        assertThrows(FileAlreadyExistsException.class, () -> SafeFiles.createNew(fresh));
    }

    @Test void replaceRemovesALinkNotItsTarget() throws IOException {
        Path target = Files.writeString(tmp.resolve("precious"), "keep");
        Path link = Files.createSymbolicLink(tmp.resolve("dom1.p2m"), target);
        try (FileChannel ch = SafeFiles.replace(link)) {
            assertEquals(0, ch.size());
        }
        assertEquals("keep", Files.readString(target));
        assertTrue(Files.isRegularFile(link, LinkOption.NOFOLLOW_LINKS));
        assertEquals("rw-------", perms(link));
        Path sub = Files.createDirectory(tmp.resolve("sub"));
        assertThrows(UnsafePathException.class, () -> SafeFiles.replace(sub));
    }

    @Test void openExistingRefusesLinksAndNonRegularFiles() throws IOException {
        Path target = Files.writeString(tmp.resolve("secret"), "s");
        Path link = Files.createSymbolicLink(tmp.resolve("dom1.vmring"), target);
        assertThrows(IOException.class, () -> SafeFiles.openExisting(link, true));
        assertThrows(UnsafePathException.class, () -> SafeFiles.openExisting(tmp, false));
        try (FileChannel ch = SafeFiles.openExisting(target, false)) {
            assertEquals(1, ch.size());
        }
    }

    @Test void checkRegularOwnedNamesTheOwner() throws IOException {
        Path f = Files.writeString(tmp.resolve("f"), "x");
        SafeFiles.checkRegularOwned(f, SafeFiles.uid());
        int other = SafeFiles.uid() == NOBODY ? 0 : NOBODY;
        UnsafePathException e = assertThrows(UnsafePathException.class, () -> SafeFiles.checkRegularOwned(f, other));
        assertTrue(e.getMessage().contains("owned by uid " + SafeFiles.uid()), e.getMessage());
    }

    @Test void openOrCreateTightensAndTruncatesAnExistingFile() throws IOException {
        Path f = Files.writeString(tmp.resolve("pagefile"), "old contents");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        try (FileChannel ch = SafeFiles.openOrCreate(f, true)) {
            assertEquals(0, ch.size());
        }
        assertEquals("rw-------", perms(f));
        Path target = Files.writeString(tmp.resolve("precious"), "keep");
        Path link = Files.createSymbolicLink(tmp.resolve("pagefile2"), target);
        assertThrows(IOException.class, () -> SafeFiles.openOrCreate(link, true));
        assertEquals("keep", Files.readString(target));
    }

    @Test void logsAreAppendedTo0600Files() throws IOException {
        Path log = tmp.resolve("xenpaging-1.log");
        try (OutputStream o = SafeFiles.appendStream(log)) { o.write("a\n".getBytes(StandardCharsets.UTF_8)); }
        try (OutputStream o = SafeFiles.appendStream(log)) { o.write("b\n".getBytes(StandardCharsets.UTF_8)); }
        assertEquals("a\nb\n", Files.readString(log));
        assertEquals("rw-------", perms(log));
        ProcessBuilder.Redirect r = SafeFiles.truncateRedirect(log);
        assertEquals(0, Files.size(log));
        assertEquals(ProcessBuilder.Redirect.Type.APPEND, r.type());
    }

    @Test void writeAtomicallyReplacesALinkNotItsTarget() throws IOException {
        Path target = Files.writeString(tmp.resolve("precious"), "keep");
        Path link = Files.createSymbolicLink(tmp.resolve("xenpaging-1.pid"), target);
        SafeFiles.writeAtomically(link, "1234\n");
        assertEquals("keep", Files.readString(target));
        assertEquals("1234\n", Files.readString(link));
        assertFalse(Files.isSymbolicLink(link));
        assertEquals("rw-------", perms(link));
        try (var s = Files.list(tmp)) {
            assertEquals(2, s.count(), "no temporary file left behind");
        }
    }

    @Test void requireDirectlyInsideRefusesEscapesAndLinks() throws IOException {
        Path run = SafeFiles.ensurePrivateDir(tmp.resolve("run"));
        Path ok = Files.writeString(run.resolve("xc-1-1.arena"), "");
        assertEquals(ok, SafeFiles.requireDirectlyInside(run, ok));
        Path outside = Files.writeString(tmp.resolve("outside.arena"), "");
        assertThrows(UnsafePathException.class, () -> SafeFiles.requireDirectlyInside(run, outside));
        assertThrows(UnsafePathException.class, () -> SafeFiles.requireDirectlyInside(run, run.resolve("../outside.arena")));
        Path link = Files.createSymbolicLink(run.resolve("evil.arena"), outside);
        assertThrows(UnsafePathException.class, () -> SafeFiles.requireDirectlyInside(run, link));
        Path subdir = Files.createDirectory(run.resolve("sub"));
        assertThrows(UnsafePathException.class, () -> SafeFiles.requireDirectlyInside(run, subdir.resolve("x.arena")));
        // the run directory named through a link to it is still the run directory: the entry resolves to the real one
        Path linkedDir = Files.createSymbolicLink(tmp.resolve("runlink"), run);
        assertEquals(run.toRealPath().resolve("xc-1-1.arena"), SafeFiles.requireDirectlyInside(run, linkedDir.resolve("xc-1-1.arena")));
    }

    @Test void clientsOnlyTrustSocketsOfTheirUserOrRootInAPrivateOrStickyDirectory() throws Exception {
        Path run = SafeFiles.ensurePrivateDir(tmp.resolve("run"));
        Path sock = run.resolve("hypervisor.sock");
        try (var server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            server.bind(java.net.UnixDomainSocketAddress.of(sock));
            SafeFiles.checkServerSocket(sock);
            SafeFiles.checkServerSocket(run.resolve("missing.sock")); // connect(2) says "no such file" itself
            Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxrwxrwx"));
            UnsafePathException e = assertThrows(UnsafePathException.class, () -> SafeFiles.checkServerSocket(sock));
            assertTrue(e.getMessage().contains("writable by others"), e.getMessage());
            Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwx------"));
            if (SafeFiles.isRoot()) {
                Files.setAttribute(sock, "unix:uid", NOBODY);   // a socket planted by another user
                e = assertThrows(UnsafePathException.class, () -> SafeFiles.checkServerSocket(sock));
                assertTrue(e.getMessage().contains("belongs to uid " + NOBODY), e.getMessage());
            }
        }
        SafeFiles.checkServerSocket(Path.of("/tmp/no-such-fallow.sock"));
    }

    @Test void deleteIfOwnedRegularLeavesLinksAndOthersFiles() throws IOException {
        Path target = Files.writeString(tmp.resolve("precious"), "keep");
        Path link = Files.createSymbolicLink(tmp.resolve("dom3.mem"), target);
        assertFalse(SafeFiles.deleteIfOwnedRegular(link));
        assertTrue(Files.exists(target));
        Path own = Files.writeString(tmp.resolve("dom4.mem"), "");
        assertTrue(SafeFiles.deleteIfOwnedRegular(own));
        assertFalse(Files.exists(own));
        if (SafeFiles.isRoot()) {
            Path others = Files.writeString(tmp.resolve("dom5.mem"), "");
            Files.setAttribute(others, "unix:uid", NOBODY);
            assertFalse(SafeFiles.deleteIfOwnedRegular(others));
            assertTrue(Files.exists(others));
        }
    }

    @Test void deleteTreeRemovesTheTreeAndNeverWhatItsLinksPointAt() throws IOException {
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        Path kept = Files.writeString(outside.resolve("kept"), "not mine to delete");
        Path tree = Files.createDirectories(tmp.resolve("tree/a/b"));
        Files.writeString(tree.resolve("page"), "x");
        Files.writeString(tmp.resolve("tree/a/log"), "y");
        Files.createSymbolicLink(tmp.resolve("tree/a/dirLink"), outside);
        Files.createSymbolicLink(tmp.resolve("tree/fileLink"), kept);
        Files.createSymbolicLink(tmp.resolve("tree/dangling"), tmp.resolve("nothing-here"));

        SafeFiles.deleteTree(tmp.resolve("tree"));

        assertFalse(Files.exists(tmp.resolve("tree"), LinkOption.NOFOLLOW_LINKS));
        assertEquals("not mine to delete", Files.readString(kept));
        assertTrue(Files.isDirectory(outside));
    }

    @Test void deleteTreeOfALinkRemovesTheLinkOnlyAndOfNothingIsNoError() throws IOException {
        Path target = Files.createDirectory(tmp.resolve("target"));
        Files.writeString(target.resolve("f"), "z");
        Path link = Files.createSymbolicLink(tmp.resolve("link"), target);
        SafeFiles.deleteTree(link);
        assertFalse(Files.exists(link, LinkOption.NOFOLLOW_LINKS));
        assertEquals("z", Files.readString(target.resolve("f")));

        SafeFiles.deleteTree(tmp.resolve("never-made"));
        assertTrue(SafeFiles.deleteTreeQuietly(tmp.resolve("never-made")));
        assertTrue(SafeFiles.deleteTreeQuietly(null));
    }

    @Test void deleteTreeRefusesBelowItsDepthBoundAndQuietlySaysSo() throws IOException {
        Path deep = tmp.resolve("deep");
        Path p = deep;
        for (int i = 0; i <= SafeFiles.MAX_TREE_DEPTH; i++) p = p.resolve("d" + i);
        Files.createDirectories(p);
        IOException e = assertThrows(IOException.class, () -> SafeFiles.deleteTree(deep));
        assertTrue(e.getMessage().contains("levels deep"), e.getMessage());
        assertFalse(SafeFiles.deleteTreeQuietly(deep));
        assertTrue(Files.isDirectory(p), "nothing below the bound was touched");

        Path shallow = tmp.resolve("shallow");
        Path q = shallow;
        for (int i = 0; i < SafeFiles.MAX_TREE_DEPTH; i++) q = q.resolve("d" + i);
        Files.createDirectories(q);
        Files.writeString(q.resolve("leaf"), "at the bound");
        assertTrue(SafeFiles.deleteTreeQuietly(shallow));
        assertFalse(Files.exists(shallow));
    }
}
