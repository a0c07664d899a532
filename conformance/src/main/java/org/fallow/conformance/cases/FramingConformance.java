package org.fallow.conformance.cases;

import org.fallow.abi.XenErrno;
import org.fallow.conformance.RawConnection;
import org.fallow.conformance.RawFrame;
import org.fallow.conformance.Wire;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** PROTOCOL §1: frame header, request_id echo, pipelining, split frames and the §1.2 error table. */
@DisplayName("framing (PROTOCOL §1)")
class FramingConformance extends CaseSupport {
    private static final long UNKNOWN_HYPERCALL = 99;

    @Test @DisplayName("HELLO_ACK: exact header and payload bytes at exact offsets")
    void helloAckBytes() throws Exception {
        try (RawConnection c = open()) {
            long id = 0x0102030405060708L;
            c.send(Wire.HELLO, id, Wire.hello(Wire.ROLE_TOOLSTACK, Wire.PROFILE_412, 0, null, 0, 0, null));
            RawFrame ack = c.read();
            byte[] h = ack.header();
            assertArrayEquals(new byte[] {0x46, 0x41, 0x4C, 0x57}, Arrays.copyOfRange(h, 0, 4), "magic bytes");
            assertEquals(1, h[4], "version");
            assertEquals(Wire.HELLO_ACK, h[5], "type");
            assertArrayEquals(new byte[2], Arrays.copyOfRange(h, 6, 8), "flags");
            assertArrayEquals(new byte[] {8, 7, 6, 5, 4, 3, 2, 1}, Arrays.copyOfRange(h, 8, 16), "request_id echoed LE");
            assertArrayEquals(new byte[4], Arrays.copyOfRange(h, 20, 24), "reserved");
            byte[] p = ack.payload();
            assertEquals(p.length, ack.length(), "length = payload bytes");
            assertTrue(p.length >= 32, "HELLO_ACK ≥ 32 bytes");
            assertArrayEquals(new byte[8], Arrays.copyOfRange(p, 0, 8), "status 0");
            assertArrayEquals(new byte[4], Arrays.copyOfRange(p, 8, 12), "domid 0 + pad for the toolstack");
            int pathLen = (int) ack.helloAck().pathLength();
            assertEquals(32 + pathLen, p.length, "32 + path_len");
            assertTrue(ack.helloAck().nrFrames() > 0, "nr_frames = host pages > 0");
            assertArrayEquals(new byte[] {0x0C, 0x00, 0x04, 0x00}, Arrays.copyOfRange(p, 24, 28), "xen_version 0x0004000C");
            assertArrayEquals(new byte[4], Arrays.copyOfRange(p, 28, 32), "pad");
            String runDir = new String(p, 32, pathLen, StandardCharsets.UTF_8);
            assertFalse(runDir.isEmpty(), "run_dir announced");
            if (target().runDir() != null)
                assertEquals(target().runDir().toRealPath(), java.nio.file.Path.of(runDir).toRealPath(), "run_dir");
        }
    }

    @Test @DisplayName("request_id is echoed in HYPERCALL_RET; an unknown hypercall returns -ENOSYS")
    void requestIdEcho() throws Exception {
        try (RawConnection c = openToolstack()) {
            c.send(Wire.HYPERCALL, 0x1122334455667788L, Wire.hypercall(UNKNOWN_HYPERCALL, 1, 2, 3, 4, 5));
            RawFrame r = c.read();
            assertEquals(Wire.HYPERCALL_RET, r.type());
            assertEquals(0x1122334455667788L, r.requestId());
            assertEquals(8, r.length());
            assertEquals(-XenErrno.ENOSYS, r.status());
        }
    }

    @Test @DisplayName("pipelined requests in one write are answered in request order")
    void pipelined() throws Exception {
        try (RawConnection c = openToolstack()) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            int n = 32;
            for (int i = 0; i < n; i++) {
                // alternate an unknown hypercall (-ENOSYS) and a multicall of 0 entries (0)
                byte[] p = i % 2 == 0 ? Wire.hypercall(UNKNOWN_HYPERCALL) : Wire.hypercall(13, 0, 0);
                all.writeBytes(RawConnection.frame(Wire.HYPERCALL, 1000 + i, p));
            }
            c.write(all.toByteArray());
            for (int i = 0; i < n; i++) {
                RawFrame r = c.read();
                assertEquals(Wire.HYPERCALL_RET, r.type());
                assertEquals(1000 + i, r.requestId(), "response " + i + " out of order");
                assertEquals(i % 2 == 0 ? -XenErrno.ENOSYS : 0, r.status(), "response " + i);
            }
        }
    }

    @Test @DisplayName("frames written one byte per write are reassembled")
    void splitFrames() throws Exception {
        try (RawConnection c = open()) {
            c.writeByteByByte(RawConnection.frame(Wire.HELLO, 5, Wire.hello(Wire.ROLE_TOOLSTACK, Wire.PROFILE_412, 0, null, 0, 0, null)));
            RawFrame ack = c.read();
            assertEquals(Wire.HELLO_ACK, ack.type());
            assertEquals(5, ack.requestId());
            assertEquals(0, ack.status());
            c.writeByteByByte(RawConnection.frame(Wire.HYPERCALL, 6, Wire.hypercall(UNKNOWN_HYPERCALL)));
            RawFrame r = c.read();
            assertEquals(6, r.requestId());
            assertEquals(-XenErrno.ENOSYS, r.status());
        }
    }

    @Test @DisplayName("wrong magic: ERROR -EBADMSG (request_id 0) after 4 bytes, then close")
    void wrongMagic() throws Exception {
        try (RawConnection c = open()) {
            c.write("XXXX".getBytes(StandardCharsets.US_ASCII));
            expectError(c, -XenErrno.EBADMSG, 0);
            assertTrue(c.awaitClosed());
        }
    }

    @Test @DisplayName("unknown version: ERROR -EOPNOTSUPP, then close")
    void unknownVersion() throws Exception {
        try (RawConnection c = open()) {
            c.write(RawConnection.header(RawConnection.MAGIC, 2, Wire.HELLO, 0, 3, 48, 0));
            RawFrame f = c.read();
            assertEquals(Wire.ERROR, f.type(), f::toString);
            assertEquals(-XenErrno.EOPNOTSUPP, f.errno());
            assertTrue(c.awaitClosed());
        }
    }

    @Test @DisplayName("header judged as it arrives: a bad version after 5 bytes, an oversize length after 20 (request_id 0)")
    void earlyHeaderChecks() throws Exception {
        try (RawConnection c = open()) {
            c.write(Arrays.copyOf(RawConnection.header(RawConnection.MAGIC, 9, Wire.HELLO, 0, 3, 48, 0), 5));
            expectError(c, -XenErrno.EOPNOTSUPP, 0);
            assertTrue(c.awaitClosed());
        }
        try (RawConnection c = open()) {
            c.write(Arrays.copyOf(RawConnection.header(RawConnection.MAGIC, 1, Wire.HELLO, 0, 3, 0x10000, 0), 20));
            expectError(c, -XenErrno.EMSGSIZE, 0);
            assertTrue(c.awaitClosed());
        }
    }

    @Test @DisplayName("length > 8192: ERROR -EMSGSIZE, then close")
    void oversize() throws Exception {
        try (RawConnection c = openToolstack()) {
            c.write(RawConnection.header(RawConnection.MAGIC, 1, Wire.HYPERCALL, 0, 7, Wire.MAX_PAYLOAD + 1, 0));
            RawFrame f = c.read();
            assertEquals(Wire.ERROR, f.type(), f::toString);
            assertEquals(-XenErrno.EMSGSIZE, f.errno());
            assertTrue(c.awaitClosed());
        }
    }

    @Test @DisplayName("unknown frame type: ERROR -ENOSYS with its request_id; the connection keeps serving")
    void unknownType() throws Exception {
        try (RawConnection c = openToolstack()) {
            c.write(RawConnection.frame(42, 77, new byte[0]));
            expectError(c, -XenErrno.ENOSYS, 77);
            assertEquals(-XenErrno.ENOSYS, hypercall(c, 78, UNKNOWN_HYPERCALL));
        }
    }

    @Test @DisplayName("non-zero flags or reserved: ERROR -EINVAL, frame dropped, connection kept")
    void nonZeroFlags() throws Exception {
        try (RawConnection c = openToolstack()) {
            byte[] p = Wire.hypercall(UNKNOWN_HYPERCALL);
            c.write(concat(RawConnection.header(RawConnection.MAGIC, 1, Wire.HYPERCALL, 1, 10, p.length, 0), p));
            expectError(c, -XenErrno.EINVAL, 10);
            c.write(concat(RawConnection.header(RawConnection.MAGIC, 1, Wire.HYPERCALL, 0, 11, p.length, 0x80), p));
            expectError(c, -XenErrno.EINVAL, 11);
            assertEquals(-XenErrno.ENOSYS, hypercall(c, 12, UNKNOWN_HYPERCALL));
        }
    }

    @Test @DisplayName("wrong payload length for the type: ERROR -EINVAL, connection kept")
    void wrongPayloadLength() throws Exception {
        try (RawConnection c = openToolstack()) {
            c.send(Wire.HYPERCALL, 20, new byte[40]);
            expectError(c, -XenErrno.EINVAL, 20);
            assertEquals(-XenErrno.ENOSYS, hypercall(c, 21, UNKNOWN_HYPERCALL));
        }
    }

    @Test @DisplayName("HYPERCALL before HELLO: ERROR -EPERM with its request_id; a HELLO after it succeeds")
    void hypercallBeforeHello() throws Exception {
        try (RawConnection c = open()) {
            c.send(Wire.HYPERCALL, 9, Wire.hypercall(UNKNOWN_HYPERCALL));
            expectError(c, -XenErrno.EPERM, 9);
            c.send(Wire.HELLO, 10, Wire.hello(Wire.ROLE_TOOLSTACK, Wire.PROFILE_412, 0, null, 0, 0, null));
            RawFrame ack = c.read();
            assertEquals(Wire.HELLO_ACK, ack.type());
            assertEquals(0, ack.status());
        }
    }

    @Test @DisplayName("HELLO and HYPERCALL pipelined in one write: HELLO_ACK first, then the hypercall is served")
    void helloPipelinedWithHypercall() throws Exception {
        for (int i = 0; i < 25; i++) { // the frames race the handshake inside a server: repeat to expose it
            try (RawConnection c = open()) {
                c.write(concat(RawConnection.frame(Wire.HELLO, 1, Wire.hello(Wire.ROLE_TOOLSTACK, Wire.PROFILE_412, 0, null, 0, 0, null)),
                        RawConnection.frame(Wire.HYPERCALL, 2, Wire.hypercall(UNKNOWN_HYPERCALL))));
                RawFrame first = c.read();
                assertEquals(Wire.HELLO_ACK, first.type(), () -> "first frame " + first);
                assertEquals(0, first.status());
                RawFrame second = c.read();
                assertEquals(Wire.HYPERCALL_RET, second.type(), () -> "second frame " + second);
                assertEquals(2, second.requestId());
                assertEquals(-XenErrno.ENOSYS, second.status());
            }
        }
    }

    @Test @DisplayName("a second HELLO and client-sent HYPERCALL_RET: ERROR -EINVAL, connection kept")
    void duplicateHelloAndWrongDirection() throws Exception {
        try (RawConnection c = openToolstack()) {
            c.send(Wire.HELLO, 30, Wire.hello(Wire.ROLE_TOOLSTACK, Wire.PROFILE_412, 0, null, 0, 0, null));
            expectError(c, -XenErrno.EINVAL, 30);
            c.send(Wire.HYPERCALL_RET, 31, new byte[8]);
            expectError(c, -XenErrno.EINVAL, 31);
            assertEquals(-XenErrno.ENOSYS, hypercall(c, 32, UNKNOWN_HYPERCALL));
        }
    }

    @Test @DisplayName("BYE closes the connection (also before HELLO)")
    void bye() throws Exception {
        try (RawConnection c = open()) {
            c.send(Wire.BYE, 1, new byte[0]);
            assertTrue(c.awaitClosed());
        }
    }

    @Test @DisplayName("a frame truncated by close is discarded; the server still serves a new client")
    void truncatedThenClose() throws Exception {
        try (RawConnection c = openToolstack()) {
            byte[] f = RawConnection.frame(Wire.HYPERCALL, 40, Wire.hypercall(UNKNOWN_HYPERCALL));
            c.write(Arrays.copyOf(f, 30));
        }
        try (RawConnection c = openToolstack()) {
            assertEquals(-XenErrno.ENOSYS, hypercall(c, 41, UNKNOWN_HYPERCALL));
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        return ByteBuffer.allocate(a.length + b.length).order(ByteOrder.LITTLE_ENDIAN).put(a).put(b).array();
    }
}
