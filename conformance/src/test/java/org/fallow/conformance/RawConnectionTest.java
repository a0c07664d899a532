package org.fallow.conformance;

import org.fallow.abi.wire.FrameHeader;
import org.fallow.abi.wire.Hello;
import org.fallow.abi.wire.HypercallFrame;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The suite's hand-written encoders agree byte for byte with PROTOCOL.md's examples and with the product's
 * flyweights (two independent readings of the same document).
 */
class RawConnectionTest {
    @Test
    void headerBytesAtOffsets() {
        byte[] h = RawConnection.header(RawConnection.MAGIC, 1, Wire.HYPERCALL, 0, 0x0102030405060708L, 48, 0);
        assertEquals("46414c57" + "01" + "03" + "0000" + "0807060504030201" + "30000000" + "00000000", HexFormat.of().formatHex(h));
        FrameHeader f = new FrameHeader().wrap(h);
        assertEquals(FrameHeader.MAGIC, f.magic());
        assertEquals(3, f.type());
        assertEquals(0x0102030405060708L, f.requestId());
        assertEquals(48, f.length());
        assertNull(f.check(24), "a valid header passes the product's checks");
    }

    @Test
    void helloAndHypercallPayloadsMatchTheFlyweights() {
        byte[] secret = new byte[16];
        for (int i = 0; i < 16; i++) secret[i] = (byte) (i + 1);
        assertArrayEquals(Hello.encode(2, 1, 7, secret, 0x1000, 0x2000, "/tmp/a"),
                Wire.hello(2, 1, 7, secret, 0x1000, 0x2000, "/tmp/a"));
        assertArrayEquals(HypercallFrame.encode(38, 0x4000, 5), Wire.hypercall(38, 0x4000, 5));
        byte[] frame = RawConnection.frame(Wire.BYE, 9, new byte[0]);
        assertEquals(24, frame.length);
        assertEquals(0, new FrameHeader().wrap(frame).length());
    }

    @Test
    void rawFrameDecodesLittleEndianFields() {
        byte[] h = RawConnection.header(RawConnection.MAGIC, 1, Wire.ERROR, 0, 42, 8, 0);
        RawFrame f = new RawFrame(h, HexFormat.of().parseHex("b6ffffff00000000"));
        assertEquals(Wire.ERROR, f.type());
        assertEquals(42, f.requestId());
        assertEquals(-74, f.errno(), "EBADMSG");
        assertEquals(8, f.length());
    }
}
