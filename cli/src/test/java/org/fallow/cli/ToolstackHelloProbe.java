package org.fallow.cli;

import org.fallow.conformance.RawConnection;
import org.fallow.conformance.RawFrame;
import org.fallow.conformance.Wire;

import java.nio.file.Path;

/**
 * A client run as a separate process (possibly as another uid, see SecurityFindingsTest): sends a toolstack HELLO
 * without an arena to the socket in args[0] and prints HELLO_ACK's status (0, or a negative Xen errno).
 */
public final class ToolstackHelloProbe {
    private ToolstackHelloProbe() {}

    public static void main(String[] args) throws Exception {
        try (RawConnection c = RawConnection.open(Path.of(args[0]))) {
            c.send(Wire.HELLO, 1, Wire.hello(Wire.ROLE_TOOLSTACK, Wire.PROFILE_412, 0, null, 0, 0, null));
            RawFrame ack = c.read();
            if (ack.type() != Wire.HELLO_ACK) throw new IllegalStateException("not a HELLO_ACK: " + ack);
            System.out.println(ack.status());
        }
    }
}
