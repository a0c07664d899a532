package org.fallow.conformance.cases;

import org.fallow.abi.XenErrno;
import org.fallow.conformance.Guest;
import org.fallow.conformance.RawConnection;
import org.fallow.conformance.RawFrame;
import org.fallow.conformance.Toolstack;
import org.fallow.conformance.Wire;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** PROTOCOL §2: a refused HELLO gets HELLO_ACK with the status of §2.2, then the connection is closed. */
@DisplayName("handshake (PROTOCOL §2)")
class HandshakeConformance extends CaseSupport {

    private static void refused(byte[] hello, long status) throws Exception {
        try (RawConnection c = open()) {
            c.send(Wire.HELLO, 3, hello);
            RawFrame ack = c.read();
            assertEquals(Wire.HELLO_ACK, ack.type(), ack::toString);
            assertEquals(3, ack.requestId());
            assertEquals(status, ack.status(), ack::toString);
            assertEquals(32, ack.payload().length, "a refused ACK has no run_dir (path_len 0)");
            assertEquals(0, ack.helloAck().pathLength(), "path_len");
            assertEquals(0, ack.helloAck().nrFrames(), "nr_frames 0: nothing about the host");
            assertEquals(0x0004000C, ack.helloAck().xenVersion(), "xen_version");
            assertEquals(new org.fallow.abi.wire.Hello().wrap(hello).domid(),
                    ack.helloAck().domid(), "domid: the HELLO's");
            assertTrue(c.awaitClosed(), "closed after a failed ACK");
        }
    }

    @Test @DisplayName("unknown role: -EOPNOTSUPP")
    void badRole() throws Exception {
        refused(Wire.hello(7, Wire.PROFILE_412, 0, null, 0, 0, null), -XenErrno.EOPNOTSUPP);
    }

    @Test @DisplayName("unknown profile: -EOPNOTSUPP")
    void badProfile() throws Exception {
        refused(Wire.hello(Wire.ROLE_TOOLSTACK, 9, 0, null, 0, 0, null), -XenErrno.EOPNOTSUPP);
    }

    @Test @DisplayName("guest of an unknown domain: -ESRCH")
    void unknownDomain() throws Exception {
        refused(Wire.hello(Wire.ROLE_GUEST, Wire.PROFILE_412, 0x7000, new byte[16], 0, 0, null), -XenErrno.ESRCH);
    }

    @Test @DisplayName("guest with a wrong secret: -EACCES; the right one is accepted with its domid and nr_frames")
    void wrongSecret() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 64, 4)) {
            byte[] wrong = g.handle();
            wrong[0] ^= 1;
            refused(Wire.hello(Wire.ROLE_GUEST, Wire.PROFILE_412, g.domid(), wrong, 0, 0, null), -XenErrno.EACCES);
            g.connect(target(), Wire.PROFILE_412);
            assertEquals(g.domid(), g.helloAck().helloAck().domid(), "ACK domid");
            assertEquals(64, g.helloAck().helloAck().nrFrames(), "ACK nr_frames = max_pages");
        }
    }

    @Test @DisplayName("toolstack with an arena file that does not exist: -EINVAL")
    void badArena() throws Exception {
        String missing = target().scratch().resolve("no-such-arena").toString();
        refused(Wire.hello(Wire.ROLE_TOOLSTACK, Wire.PROFILE_412, 0, null, 0x10000000L, 4096, missing), -XenErrno.EINVAL);
    }

    @Test @DisplayName("toolstack arena outside the run directory, or named through a symbolic link: -EINVAL")
    void arenaOutsideTheRunDirectory() throws Exception {
        java.nio.file.Path elsewhere = java.nio.file.Files.createTempDirectory(java.nio.file.Path.of("/tmp"), "flo");
        java.nio.file.Path link = target().scratch().resolve("arena-link-" + ProcessHandle.current().pid());
        try (var m = org.fallow.conformance.MappedFile.create(elsewhere.resolve("arena"), 8192)) {
            refused(Wire.hello(Wire.ROLE_TOOLSTACK, Wire.PROFILE_412, 0, null, 0x10000000L, 8192, m.path().toString()), -XenErrno.EINVAL);
            java.nio.file.Files.createSymbolicLink(link, m.path());
            refused(Wire.hello(Wire.ROLE_TOOLSTACK, Wire.PROFILE_412, 0, null, 0x10000000L, 8192, link.toString()), -XenErrno.EINVAL);
        } finally {
            java.nio.file.Files.deleteIfExists(link);
            java.nio.file.Files.deleteIfExists(elsewhere);
        }
    }

    @Test @DisplayName("toolstack arena announcements: base 0, unaligned base, length not a page multiple, file too short: -EINVAL")
    void badArenaGeometry() throws Exception {
        java.nio.file.Path f = target().scratch().resolve("short-arena");
        try (var m = org.fallow.conformance.MappedFile.create(f, 8192)) {
            String path = f.toString();
            refused(Wire.hello(Wire.ROLE_TOOLSTACK, Wire.PROFILE_412, 0, null, 0, 4096, path), -XenErrno.EINVAL);
            refused(Wire.hello(Wire.ROLE_TOOLSTACK, Wire.PROFILE_412, 0, null, 0x10000800L, 4096, path), -XenErrno.EINVAL);
            refused(Wire.hello(Wire.ROLE_TOOLSTACK, Wire.PROFILE_412, 0, null, 0x10000000L, 5000, path), -XenErrno.EINVAL);
            refused(Wire.hello(Wire.ROLE_TOOLSTACK, Wire.PROFILE_412, 0, null, 0x10000000L, 16384, path), -XenErrno.EINVAL);
            try (RawConnection c = open()) {
                c.send(Wire.HELLO, 4, Wire.hello(Wire.ROLE_TOOLSTACK, Wire.PROFILE_412, 0, null, 0x10000000L, 8192, path));
                assertEquals(0, c.read().status(), "the same file with a fitting announcement");
            }
        }
    }
}
