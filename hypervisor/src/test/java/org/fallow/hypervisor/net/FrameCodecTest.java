package org.fallow.hypervisor.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.fallow.abi.XenErrno;
import org.fallow.abi.wire.ErrorFrame;
import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameHeader;
import org.fallow.abi.wire.FrameType;
import org.fallow.abi.wire.HypercallFrame;
import org.fallow.abi.wire.StatusFrame;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.*;

class FrameCodecTest {
    private static EmbeddedChannel channel() { return new EmbeddedChannel(FrameEncoder.INSTANCE, new FrameDecoder()); }

    private static byte[] bytes(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.getBytes(b.readerIndex(), out);
        b.release();
        return out;
    }

    /** Reads the next thing the decoder passed on, which must be its report of a refused frame. */
    private static BadFrame readBad(EmbeddedChannel ch) {
        Object o = ch.readInbound();
        assertInstanceOf(BadFrame.class, o, "the decoder reported a bad frame");
        assertNull(ch.readOutbound(), "the decoder itself writes nothing (the handler answers)");
        return (BadFrame) o;
    }

    /** After a fatal bad frame, further bytes (even a valid frame) are ignored. */
    private static void assertFramingLost(EmbeddedChannel ch) {
        ch.writeInbound(Unpooled.wrappedBuffer(Frame.of(FrameType.BYE, 99).encode()));
        assertNull(ch.readInbound(), "nothing decoded after framing was lost");
    }

    @Test
    void encoderWritesExactBytes() {
        EmbeddedChannel ch = channel();
        assertTrue(ch.writeOutbound(new Frame(FrameType.HYPERCALL_RET, 0x1122334455667788L, StatusFrame.encode(-38))));
        byte[] out = bytes(ch.readOutbound());
        assertEquals("46414c57" + "01" + "04" + "0000" + "8877665544332211" + "08000000" + "00000000"
                + "daffffffffffffff", HexFormat.of().formatHex(out));
        assertFalse(ch.finish());
    }

    @Test
    void decodesAFrameFedOneByteAtATime() {
        EmbeddedChannel ch = channel();
        byte[] wire = new Frame(FrameType.HYPERCALL, 42, HypercallFrame.encode(38, 1, 2, 3, 4, 5)).encode();
        for (int i = 0; i < wire.length; i++) {
            assertNull(ch.readInbound(), "nothing before the last byte (" + i + ")");
            ch.writeInbound(Unpooled.wrappedBuffer(wire, i, 1));
        }
        HypercallRequest hc = ch.readInbound();
        assertEquals(42, hc.requestId());
        assertEquals(38, hc.op());
        assertArrayEquals(new long[]{1, 2, 3, 4, 5}, hc.args());
        assertNull(ch.readOutbound(), "no ERROR for a good frame");
        assertFalse(ch.finish());
    }

    @Test
    void decodesSeveralFramesInOneRead() {
        EmbeddedChannel ch = channel();
        byte[] a = new Frame(FrameType.HYPERCALL, 1, HypercallFrame.encode(1)).encode();
        byte[] b = Frame.of(FrameType.BYE, 2).encode();
        ch.writeInbound(Unpooled.wrappedBuffer(a, b));
        assertEquals(1, ((HypercallRequest) ch.readInbound()).requestId());
        assertEquals(2, ((Frame) ch.readInbound()).requestId());
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
    }

    @Test
    void wrongMagicAnswersEbadmsgAndCloses() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(Unpooled.wrappedBuffer("GET / HTTP/1.0\r\n".getBytes()));
        BadFrame err = readBad(ch);
        assertEquals(-XenErrno.EBADMSG, err.errno());
        assertEquals(0, err.requestId());
        assertTrue(err.reason().contains("magic"));
        assertTrue(err.fatal(), "framing lost: the connection is to be closed");
        assertFramingLost(ch);
    }

    @Test
    void wrongMagicIsNoticedAfterFourBytes() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[]{1, 2, 3}));
        assertNull(ch.readInbound());
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[]{4}));
        BadFrame err = readBad(ch);
        assertEquals(-XenErrno.EBADMSG, err.errno());
        assertTrue(err.fatal());
    }

    @Test
    void oversizeLengthAnswersEmsgsizeAndCloses() {
        EmbeddedChannel ch = channel();
        byte[] hdr = new byte[24];
        new FrameHeader().wrap(hdr).set(FrameType.HYPERCALL, 7, 0).length(FrameHeader.MAX_PAYLOAD + 1);
        ch.writeInbound(Unpooled.wrappedBuffer(hdr, 0, 20)); // judged as soon as the length is in
        BadFrame err = readBad(ch);
        assertEquals(-XenErrno.EMSGSIZE, err.errno());
        assertTrue(err.fatal());
        assertFramingLost(ch);
    }

    @Test
    void unknownVersionAnswersEopnotsuppAndCloses() {
        EmbeddedChannel ch = channel();
        byte[] wire = Frame.of(FrameType.BYE, 3).encode();
        new FrameHeader().wrap(wire).version(2);
        ch.writeInbound(Unpooled.wrappedBuffer(wire));
        BadFrame err = readBad(ch);
        assertEquals(-XenErrno.EOPNOTSUPP, err.errno());
        assertEquals(3, err.requestId());
        assertTrue(err.fatal());
    }

    @Test
    void unknownTypeAnswersEnosysAndKeepsServing() {
        EmbeddedChannel ch = channel();
        byte[] bad = Frame.of(FrameType.BYE, 9).encode();
        new FrameHeader().wrap(bad).type(77).length(3);
        byte[] badWithPayload = java.util.Arrays.copyOf(bad, 27);
        byte[] good = new Frame(FrameType.HYPERCALL, 10, HypercallFrame.encode(99)).encode();
        ch.writeInbound(Unpooled.wrappedBuffer(badWithPayload, good));
        BadFrame err = readBad(ch);
        assertEquals(-XenErrno.ENOSYS, err.errno());
        assertEquals(9, err.requestId(), "ERROR carries the rejected request's id");
        assertFalse(err.fatal());
        HypercallRequest next = ch.readInbound();
        assertEquals(10, next.requestId(), "the next frame after the skipped payload is decoded");
        assertEquals(99, next.op());
        assertFalse(ch.finish());
    }

    @Test
    void nonZeroFlagsOrReservedAnswerEinvalAndKeepServing() {
        EmbeddedChannel ch = channel();
        byte[] a = Frame.of(FrameType.BYE, 1).encode();
        new FrameHeader().wrap(a).flags(0x8000);
        byte[] b = Frame.of(FrameType.BYE, 2).encode();
        new FrameHeader().wrap(b).reserved(1);
        ch.writeInbound(Unpooled.wrappedBuffer(a, b, Frame.of(FrameType.BYE, 3).encode()));
        assertEquals(-XenErrno.EINVAL, readBad(ch).errno());
        assertEquals(-XenErrno.EINVAL, readBad(ch).errno());
        assertEquals(3, ((Frame) ch.readInbound()).requestId());
        assertFalse(ch.finish());
    }

    @Test
    void wrongPayloadLengthAnswersEinvalAndKeepsServing() {
        EmbeddedChannel ch = channel();
        byte[] shortCall = new Frame(FrameType.HYPERCALL, 5, new byte[40]).encode();
        byte[] badError = new Frame(FrameType.XENSTORE, 6, new byte[16 + 3]).encode(); // xsd_sockmsg len 0 but 3 body bytes
        ch.writeInbound(Unpooled.wrappedBuffer(shortCall, badError));
        BadFrame e1 = readBad(ch);
        assertEquals(-XenErrno.EINVAL, e1.errno());
        assertEquals(5, e1.requestId());
        assertFalse(e1.fatal());
        BadFrame e2 = readBad(ch);
        assertEquals(6, e2.requestId());
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
    }

    @Test
    void truncatedFrameAtCloseIsDiscardedSilently() {
        EmbeddedChannel ch = channel();
        byte[] wire = new Frame(FrameType.HYPERCALL, 1, HypercallFrame.encode(38)).encode();
        ch.writeInbound(Unpooled.wrappedBuffer(wire, 0, 30));
        assertNull(ch.readInbound());
        assertFalse(ch.finish(), "closing mid-frame yields no frame and no reply");
        assertNull(ch.readOutbound());
    }

    /** Seeded fuzz: random and mutated-valid byte streams in random chunks never break the decoder. */
    @Test
    void randomInputOnlyEverYieldsFramesOrErrors() {
        java.util.Random rnd = new java.util.Random(0xFA11_0F);
        java.util.Set<Integer> allowed = java.util.Set.of(-XenErrno.EBADMSG, -XenErrno.EMSGSIZE, -XenErrno.EOPNOTSUPP,
                -XenErrno.EINVAL, -XenErrno.ENOSYS);
        for (int iter = 0; iter < 400; iter++) {
            java.io.ByteArrayOutputStream stream = new java.io.ByteArrayOutputStream();
            int frames = 1 + rnd.nextInt(4);
            for (int f = 0; f < frames; f++) {
                byte[] b = new Frame(1 + rnd.nextInt(11), rnd.nextLong(), new byte[rnd.nextInt(64)]).encode();
                int flips = rnd.nextInt(3);
                for (int k = 0; k < flips; k++) b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                stream.writeBytes(b);
            }
            if (rnd.nextInt(4) == 0) { byte[] junk = new byte[rnd.nextInt(40)]; rnd.nextBytes(junk); stream.writeBytes(junk); }
            byte[] all = stream.toByteArray();
            EmbeddedChannel ch = channel();
            for (int off = 0; off < all.length; ) {
                int n = Math.min(all.length - off, 1 + rnd.nextInt(30));
                ch.writeInbound(Unpooled.wrappedBuffer(all, off, n));
                off += n;
            }
            boolean fatalSeen = false;
            for (Object o; (o = ch.readInbound()) != null; ) {
                assertFalse(fatalSeen, "nothing after a fatal bad frame (iteration " + iter + ")");
                if (o instanceof BadFrame bad) {
                    assertTrue(allowed.contains(bad.errno()), "errno " + bad.errno());
                    boolean fatalErrno = bad.errno() == -XenErrno.EBADMSG || bad.errno() == -XenErrno.EMSGSIZE
                            || bad.errno() == -XenErrno.EOPNOTSUPP;
                    assertEquals(fatalErrno, bad.fatal(), "fatal exactly when framing is lost (iteration " + iter + ")");
                    fatalSeen = bad.fatal();
                } else if (o instanceof HypercallRequest hc) {
                    assertEquals(HypercallFrame.NR_ARGS, hc.args().length);
                } else {
                    Frame f = (Frame) o;
                    assertNotEquals(FrameType.HYPERCALL, f.type(), "a HYPERCALL comes as a HypercallRequest");
                    assertTrue(FrameType.known(f.type()));
                    assertTrue(FrameType.payloadLengthValid(f.type(), f.payloadSegment()));
                }
            }
            assertNull(ch.readOutbound(), "the decoder writes nothing");
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void errorTextIsCutToFitMaxPayload() {
        byte[] p = ErrorFrame.encode(-1, "x".repeat(20000));
        assertEquals(FrameHeader.MAX_PAYLOAD, p.length);
        assertEquals(FrameHeader.MAX_PAYLOAD - 8, new ErrorFrame().wrap(p).textLength());
    }
}
