package org.fallow.conformance.cases;

import org.fallow.conformance.RawConnection;
import org.fallow.conformance.RawFrame;
import org.fallow.conformance.Target;
import org.fallow.conformance.Wire;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Shared helpers of the conformance cases: the target, raw connections and frame assertions. */
@Timeout(30)
abstract class CaseSupport {
    static Target target() { return Target.current(); }

    static RawConnection open() throws IOException { return RawConnection.open(target().socket()); }

    /** A toolstack HELLO without an arena (path_len 0), answered with status 0. */
    static RawConnection openToolstack() throws IOException {
        RawConnection c = open();
        c.send(Wire.HELLO, 1, Wire.hello(Wire.ROLE_TOOLSTACK, Wire.PROFILE_412, 0, null, 0, 0, null));
        RawFrame ack = c.read();
        assertEquals(Wire.HELLO_ACK, ack.type(), () -> "HELLO answered by " + ack);
        assertEquals(0, ack.status(), () -> "HELLO refused: " + ack);
        return c;
    }

    /** Reads the next frame and checks it is an ERROR with {@code errno} and request_id {@code id}. */
    static RawFrame expectError(RawConnection c, int errno, long id) throws IOException {
        RawFrame f = c.read();
        assertEquals(Wire.ERROR, f.type(), () -> "expected ERROR, got " + f);
        assertEquals(errno, f.errno(), () -> "ERROR errno of " + f);
        assertEquals(id, f.requestId(), () -> "ERROR request_id of " + f);
        assertEquals(8 + f.error().textLength(), f.payload().length, "ERROR is 8 + text_len bytes");
        return f;
    }

    /** Sends a HYPERCALL and returns HYPERCALL_RET's value (type, request_id and length checked). */
    static long hypercall(RawConnection c, long id, long op, long... args) throws IOException {
        c.send(Wire.HYPERCALL, id, Wire.hypercall(op, args));
        RawFrame r = c.read();
        assertEquals(Wire.HYPERCALL_RET, r.type(), () -> "expected HYPERCALL_RET, got " + r);
        assertEquals(id, r.requestId(), "HYPERCALL_RET request_id");
        assertEquals(8, r.payload().length, "HYPERCALL_RET payload length");
        return r.status();
    }
}
