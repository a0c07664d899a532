package org.fallow.conformance.cases;

import org.fallow.conformance.Guest;
import org.fallow.conformance.RawConnection;
import org.fallow.conformance.RawFrame;
import org.fallow.conformance.Toolstack;
import org.fallow.conformance.Wire;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import org.fallow.abi.wire.XsSockMsg;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** PROTOCOL §6: xenstored wire messages (xsd_sockmsg) in XENSTORE frames. */
@DisplayName("xenstore (PROTOCOL §6)")
class XenstoreConformance extends CaseSupport {
    static final int XS_DIRECTORY = XsSockMsg.XS_DIRECTORY, XS_READ = XsSockMsg.XS_READ, XS_WATCH = XsSockMsg.XS_WATCH, XS_TRANSACTION_START = XsSockMsg.XS_TRANSACTION_START, XS_WRITE = XsSockMsg.XS_WRITE,
            XS_RM = XsSockMsg.XS_RM, XS_WATCH_EVENT = XsSockMsg.XS_WATCH_EVENT, XS_ERROR = XsSockMsg.XS_ERROR;

    /** A decoded reply: xsd_sockmsg type, req_id and body. */
    record Xs(long frameId, int type, int reqId, int txId, String body) {}

    static byte[] msg(int type, int reqId, int txId, String body) {
        return XsSockMsg.encode(type, reqId, txId, body.getBytes(StandardCharsets.UTF_8));
    }

    static Xs read(RawConnection c) throws Exception {
        RawFrame f = c.read();
        assertEquals(Wire.XENSTORE, f.type(), f::toString);
        XsSockMsg p = f.xs();
        assertEquals(XsSockMsg.HEADER_LENGTH + p.length(), f.payload().length, "XENSTORE payload = 16 + len");
        return new Xs(f.requestId(), p.type(), p.reqId(), p.txId(), new String(p.body(), StandardCharsets.UTF_8));
    }

    static Xs ask(RawConnection c, long frameId, int type, int reqId, int txId, String body) throws Exception {
        c.send(Wire.XENSTORE, frameId, msg(type, reqId, txId, body));
        Xs r = read(c);
        assertEquals(frameId, r.frameId(), "frame request_id echoed");
        assertEquals(reqId, r.reqId(), "xsd_sockmsg req_id echoed");
        return r;
    }

    @Test @DisplayName("WRITE/READ/DIRECTORY/RM, guest relative paths, EACCES, ENOENT for an unknown transaction, ENOSYS")
    void readWrite() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 16, 2).connect(target(), Wire.PROFILE_412)) {
            RawConnection c = ts.connection();
            String base = "/local/domain/" + g.domid() + "/conf";
            Xs w = ask(c, 100, XS_WRITE, 7, 0, base + "/key\0v1");
            assertEquals(XS_WRITE, w.type());
            assertEquals("OK\0", w.body());
            Xs r = ask(c, 101, XS_READ, 8, 0, base + "/key\0");
            assertEquals(XS_READ, r.type());
            assertEquals("v1", r.body(), "value without NUL");
            Xs dir = ask(c, 102, XS_DIRECTORY, 9, 0, base + "\0");
            assertEquals(XS_DIRECTORY, dir.type());
            assertEquals("key\0", dir.body());

            RawConnection gc = g.connection();
            Xs rel = ask(gc, 200, XS_READ, 1, 0, "conf/key\0");
            assertEquals(XS_READ, rel.type(), rel::toString);
            assertEquals("v1", rel.body(), "relative to /local/domain/<D>");
            Xs denied = ask(gc, 201, XS_WRITE, 2, 0, "/local/domain/0/stolen\0x");
            assertEquals(XS_ERROR, denied.type());
            assertEquals("EACCES\0", denied.body());

            Xs tx = ask(c, 103, XS_READ, 10, 5, base + "/key\0");
            assertEquals(XS_ERROR, tx.type());
            assertEquals("ENOENT\0", tx.body());
            Xs unsupported = ask(c, 104, XS_WATCH_EVENT, 11, 0, "\0");
            assertEquals(XS_ERROR, unsupported.type());
            assertEquals("ENOSYS\0", unsupported.body(), "a type xenstored has no handler for");

            assertEquals("OK\0", ask(c, 105, XS_RM, 12, 0, base + "/key\0").body());
            Xs gone = ask(c, 106, XS_READ, 13, 0, base + "/key\0");
            assertEquals(XS_ERROR, gone.type());
            assertEquals("ENOENT\0", gone.body());
        }
    }

    @Test @DisplayName("a watch fires once when registered, then on a write below it (request_id 0, body path\\0token\\0)")
    void watch() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 16, 2)) {
            RawConnection c = ts.connection();
            String path = "/local/domain/" + g.domid() + "/watched";
            c.send(Wire.XENSTORE, 300, msg(XS_WATCH, 21, 0, path + "\0tok\0"));
            List<Xs> got = new ArrayList<>(List.of(read(c), read(c)));
            Xs reply = got.stream().filter(x -> x.frameId() == 300).findFirst().orElseThrow(() -> new AssertionError("no WATCH reply in " + got));
            assertEquals(XS_WATCH, reply.type());
            assertEquals("OK\0", reply.body());
            Xs first = got.stream().filter(x -> x.frameId() == 0).findFirst().orElseThrow(() -> new AssertionError("no initial event in " + got));
            assertEquals(XS_WATCH_EVENT, first.type());
            assertEquals(path + "\0tok\0", first.body());

            c.send(Wire.XENSTORE, 301, msg(XS_WRITE, 22, 0, path + "/x\0" + "1"));
            List<Xs> next = new ArrayList<>(List.of(read(c), read(c)));
            Xs ev = next.stream().filter(x -> x.frameId() == 0).findFirst().orElseThrow(() -> new AssertionError("no event in " + next));
            assertEquals(XS_WATCH_EVENT, ev.type());
            assertEquals(path + "/x\0tok\0", ev.body());
            assertTrue(next.stream().anyMatch(x -> x.frameId() == 301 && x.type() == XS_WRITE), () -> "WRITE reply in " + next);
        }
    }
}
