package org.fallow.abi.wire;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every byte of a variable-length tail (HELLO's arena path, HELLO_ACK's run directory, a xenstore body) arrives, at
 * every length across the 8-byte-word and 64-byte boundaries of the copy routines, many times over so the encoders
 * and decoders run compiled: the CI flake behind Flyweight's copyIn/copyOut was a HELLO whose path had every other
 * 8-byte word zeroed by the compiled small-copy loop it used to go through.
 */
class WireTailRoundTripTest {
    private static final int ROUNDS = 40;

    private static String text(SplittableRandom r, int len) {
        char[] c = new char[len];
        for (int i = 0; i < len; i++) c[i] = (char) ('!' + r.nextInt(94)); // printable, never NUL
        return new String(c);
    }

    @Test void helloPathsAndHelloAckRunDirectoriesOfEveryLengthArriveWhole() {
        SplittableRandom r = new SplittableRandom(7);
        for (int round = 0; round < ROUNDS; round++) {
            for (int len = 0; len <= 200; len++) {
                String path = text(r, len);
                byte[] hello = Hello.encode(Hello.ROLE_TOOLSTACK, 1, 0, null, 0x7f0000000000L, 1 << 20, path);
                Frame f = new Frame(FrameType.HELLO, round, hello);
                byte[] wire = f.encode();
                assertEquals(path, new Hello().wrap(Arrays.copyOfRange(wire, FrameHeader.LENGTH, wire.length)).arenaPath());
                assertEquals(path, new String(wire, FrameHeader.LENGTH + Hello.PATH_OFFSET, len, StandardCharsets.UTF_8),
                        "the encoded bytes themselves");

                byte[] ack = HelloAck.encode(0, 0, 4096, path);
                assertEquals(path, new HelloAck().wrap(ack).runDir());
                assertEquals(path, new String(ack, HelloAck.PATH_OFFSET, len, StandardCharsets.UTF_8));
            }
        }
    }

    @Test void xenstoreBodiesAndErrorTextsOfEveryLengthArriveWhole() {
        SplittableRandom r = new SplittableRandom(11);
        for (int round = 0; round < ROUNDS; round++) {
            for (int len = 0; len <= 200; len++) {
                byte[] body = new byte[len];
                r.nextBytes(body);
                byte[] msg = XsSockMsg.encode(1, 2, 0, body);
                assertArrayEquals(body, new XsSockMsg().wrap(msg).body());
                assertArrayEquals(body, Arrays.copyOfRange(msg, XsSockMsg.BODY_OFFSET, msg.length), "the encoded bytes themselves");

                String t = text(r, len);
                assertEquals(t, new ErrorFrame().wrap(ErrorFrame.encode(-22, t)).text());
            }
        }
    }
}
