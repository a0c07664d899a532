package org.fallow.abi.wire;

import org.fallow.abi.XenErrno;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class WireFlyweightTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void headerBytesAreLittleEndianAtDocumentedOffsets() {
        byte[] b = new Frame(FrameType.HYPERCALL, 0x0102030405060708L, HypercallFrame.encode(38, 0x1000, 2)).encode();
        assertEquals(24 + 48, b.length);
        assertEquals("46414c57" + "01" + "03" + "0000" + "0807060504030201" + "30000000" + "00000000",
                HEX.formatHex(b, 0, 24));
        // privcmd_hypercall: op then 5 args
        assertEquals("2600000000000000" + "0010000000000000" + "0200000000000000", HEX.formatHex(b, 24, 48));
        assertEquals("00".repeat(24), HEX.formatHex(b, 48, 72));
    }

    @Test
    void hypercallPayloadIsPrivcmdHypercall() {
        assertEquals(org.fallow.abi.xen.PrivcmdHypercall.SIZE, HypercallFrame.LENGTH);
        assertEquals(org.fallow.abi.xen.PrivcmdHypercall.OP_OFFSET, HypercallFrame.OP_OFFSET);
        assertEquals(org.fallow.abi.xen.PrivcmdHypercall.ARG_OFFSET, HypercallFrame.ARGS_OFFSET);
    }

    @Test
    void headerReadBack() {
        byte[] b = new Frame(FrameType.XENSTORE, -2, XsSockMsg.encode(2, 7, 0, "a\0".getBytes())).encode();
        FrameHeader h = new FrameHeader().wrap(b);
        assertEquals(FrameHeader.MAGIC, h.magic());
        assertEquals(1, h.version());
        assertEquals(FrameType.XENSTORE, h.type());
        assertEquals(-2, h.requestId());
        assertEquals(18, h.length());
        assertNull(h.check(24));
    }

    @Test
    void checkFollowsProtocolOrder() {
        byte[] b = new Frame(FrameType.BYE, 1, new byte[0]).encode();
        FrameHeader h = new FrameHeader().wrap(b);
        h.flags(1);
        assertEquals(new FrameHeader.Rejection(-XenErrno.EINVAL, false, "non-zero flags 0x1 / reserved 0x0"), h.check(24));
        assertNull(h.check(20), "flags are only judged once the whole header is there");
        h.flags(0).type(99);
        assertEquals(-XenErrno.ENOSYS, h.check(24).errno());
        assertFalse(h.check(24).fatal());
        h.type(FrameType.BYE).length(FrameHeader.MAX_PAYLOAD + 1);
        assertEquals(-XenErrno.EMSGSIZE, h.check(20).errno());
        assertTrue(h.check(20).fatal());
        assertNull(h.check(19), "length not yet complete");
        h.version(2);
        assertEquals(-XenErrno.EOPNOTSUPP, h.check(5).errno());
        h.magic(0x12345678);
        assertEquals(-XenErrno.EBADMSG, h.check(4).errno());
        assertTrue(h.check(4).fatal());
        assertNull(h.check(3));
    }

    @Test
    void helloLayout() {
        byte[] secret = new byte[16];
        for (int i = 0; i < 16; i++) secret[i] = (byte) (0xA0 + i);
        byte[] p = Hello.encode(Hello.ROLE_GUEST, 1, 0x1234, secret, 0x7f00_0000_1000L, 0x20000, "/r/a");
        assertEquals(52, p.length);
        assertEquals("02000000" + "01000000" + "3412" + "0000" + "04000000", HEX.formatHex(p, 0, 16));
        assertEquals(HEX.formatHex(secret), HEX.formatHex(p, 16, 32));
        assertEquals("00100000007f0000" + "0000020000000000", HEX.formatHex(p, 32, 48));
        assertEquals("/r/a", new String(p, 48, 4));
        Hello h = new Hello().wrap(p);
        assertEquals(0x1234, h.domid());
        assertEquals("/r/a", h.arenaPath());
        assertArrayEquals(secret, h.secret());
        assertTrue(FrameType.payloadLengthValid(FrameType.HELLO, java.lang.foreign.MemorySegment.ofArray(p)));
        assertFalse(FrameType.payloadLengthValid(FrameType.HELLO,
                java.lang.foreign.MemorySegment.ofArray(java.util.Arrays.copyOf(p, 51))));
    }

    @Test
    void helloAckLayout() {
        byte[] p = HelloAck.encode(-XenErrno.EACCES, 5, 0x40000, "/tmp/x");
        assertEquals("f3ffffffffffffff" + "0500" + "0000" + "06000000" + "0000040000000000" + "0c000400" + "00000000",
                HEX.formatHex(p, 0, 32));
        HelloAck a = new HelloAck().wrap(p);
        assertEquals(-13, a.status());
        assertEquals("/tmp/x", a.runDir());
        assertEquals(0x40000, a.nrFrames());
    }

    @Test
    void fixedPayloads() {
        assertEquals("0700000000000000", HEX.formatHex(EvtchnSend.encode(7)));
        assertEquals("2a00000000000000" + "02000000" + "03000000", HEX.formatHex(MemFault.encode(42, true, 3)));
        assertEquals("daffffffffffffff", HEX.formatHex(StatusFrame.encode(-38)));
        assertEquals("eaffffff" + "02000000" + "6869", HEX.formatHex(ErrorFrame.encode(-22, "hi")));
        assertEquals("01000000" + "01000000" + "78", HEX.formatHex(DomainEvent.encode(1, "x")));
    }

    @Test
    void xsSockMsgLayoutAndBodies() {
        byte[] p = XsSockMsg.encode(XsSockMsg.XS_WRITE, 9, 0, "/a\0v".getBytes());
        assertEquals("0b000000" + "09000000" + "00000000" + "04000000" + "2f610076", HEX.formatHex(p));
        assertEquals(List.of("/a", "v"), XsSockMsg.split(new XsSockMsg().wrap(p).body()));
        assertEquals(List.of("p", "t"), XsSockMsg.split(XsSockMsg.nulTerminated("p", "t")));
        assertTrue(FrameType.payloadLengthValid(FrameType.XENSTORE, java.lang.foreign.MemorySegment.ofArray(p)));
    }

    @Test
    void fixedLengthRuleIsExact() {
        var seg = java.lang.foreign.MemorySegment.ofArray(new byte[47]);
        assertFalse(FrameType.payloadLengthValid(FrameType.HYPERCALL, seg));
        assertTrue(FrameType.payloadLengthValid(FrameType.HYPERCALL, java.lang.foreign.MemorySegment.ofArray(new byte[48])));
        assertFalse(FrameType.payloadLengthValid(FrameType.BYE, java.lang.foreign.MemorySegment.ofArray(new byte[1])));
        assertTrue(FrameType.payloadLengthValid(FrameType.BYE, java.lang.foreign.MemorySegment.ofArray(new byte[0])));
    }

    @Test
    void wireFlyweightsShareTheBoundsCheckedLayoutBase() {
        assertThrows(IndexOutOfBoundsException.class, () -> new MemFault().wrap(new byte[MemFault.LENGTH - 1]));
        assertThrows(IndexOutOfBoundsException.class, () -> new FrameHeader().wrap(java.lang.foreign.MemorySegment.ofArray(new byte[FrameHeader.LENGTH]), 1));
        // a tail longer than the wrapped bytes is refused, not read past
        byte[] cut = java.util.Arrays.copyOf(ErrorFrame.encode(-22, "four"), ErrorFrame.FIXED_LENGTH + 2);
        assertThrows(IndexOutOfBoundsException.class, () -> new ErrorFrame().wrap(cut).text());
        // toString is drawn from the layout
        assertEquals("fallow_mem_fault{gfn=0x2a, access=2, vcpu_id=3}", new MemFault().wrap(MemFault.encode(42, true, 3)).toString());
    }
}
