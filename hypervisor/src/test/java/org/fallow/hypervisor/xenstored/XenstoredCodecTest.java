package org.fallow.hypervisor.xenstored;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.fallow.abi.wire.XsSockMsg;
import org.fallow.hypervisor.xenstore.XenStore;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/** The xenstored.sock codec and handler on an EmbeddedChannel: exact bytes, split and oversize messages. */
class XenstoredCodecTest {
    private static byte[] msg(int type, int reqId, int txId, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(16 + b.length).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(type).putInt(reqId).putInt(txId).putInt(b.length).put(b).array();
    }

    private static EmbeddedChannel channel(XenStore store) {
        return new EmbeddedChannel(new XsSockMsgDecoder(), new XenstoredConnection(store, "test"));
    }

    private static byte[] next(EmbeddedChannel ch) {
        ByteBuf out = ch.readOutbound();
        assertNotNull(out, "a reply was written");
        byte[] b = new byte[out.readableBytes()];
        out.readBytes(b);
        out.release();
        return b;
    }

    @Test
    void aWriteIsAnsweredWithTheExactReplyBytes() {
        EmbeddedChannel ch = channel(new XenStore());
        ch.writeInbound(Unpooled.wrappedBuffer(msg(XsSockMsg.XS_WRITE, 0x01020304, 0, "/tool/x\0hello")));
        byte[] reply = next(ch);
        assertArrayEquals(new byte[]{11, 0, 0, 0, 4, 3, 2, 1, 0, 0, 0, 0, 3, 0, 0, 0, 'O', 'K', 0}, reply,
                "type 11 (XS_WRITE), req_id echoed little-endian, tx_id 0, len 3, \"OK\\0\"");
        ch.writeInbound(Unpooled.wrappedBuffer(msg(XsSockMsg.XS_READ, 2, 0, "/tool/x\0")));
        assertArrayEquals(new byte[]{2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'}, next(ch));
    }

    @Test
    void messagesSplitAnywhereAndBackToBackAreReassembled() {
        EmbeddedChannel ch = channel(new XenStore());
        byte[] a = msg(XsSockMsg.XS_WRITE, 1, 0, "/a\0" + "1");
        byte[] b = msg(XsSockMsg.XS_READ, 2, 0, "/a\0");
        byte[] both = new byte[a.length + b.length];
        System.arraycopy(a, 0, both, 0, a.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        for (int i = 0; i < both.length; i += 5)
            ch.writeInbound(Unpooled.wrappedBuffer(both, i, Math.min(5, both.length - i)));
        XsSockMsg r1 = new XsSockMsg().wrap(next(ch));
        XsSockMsg r2 = new XsSockMsg().wrap(next(ch));
        assertEquals(1, r1.reqId());
        assertEquals(2, r2.reqId());
        assertEquals("1", new String(r2.body(), StandardCharsets.UTF_8));
    }

    @Test
    void aWatchIsAckedBeforeItsFirstEvent() {
        EmbeddedChannel ch = channel(new XenStore());
        ch.writeInbound(Unpooled.wrappedBuffer(msg(XsSockMsg.XS_WATCH, 9, 0, "/w\0tok\0")));
        XsSockMsg ack = new XsSockMsg().wrap(next(ch));
        assertEquals(XsSockMsg.XS_WATCH, ack.type());
        assertEquals(9, ack.reqId());
        XsSockMsg ev = new XsSockMsg().wrap(next(ch));
        assertEquals(XsSockMsg.XS_WATCH_EVENT, ev.type());
        assertEquals(0, ev.reqId());
        assertEquals("/w\0tok\0", new String(ev.body(), StandardCharsets.UTF_8));
    }

    @Test
    void anOversizeLengthClosesTheConnectionWithoutBufferingIt() {
        EmbeddedChannel ch = channel(new XenStore());
        byte[] header = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(XsSockMsg.XS_WRITE).putInt(1).putInt(0).putInt(XsSockMsg.PAYLOAD_MAX + 1).array();
        ch.writeInbound(Unpooled.wrappedBuffer(header));
        assertFalse(ch.isOpen(), "closed as xenstored does");
        assertNull(ch.readOutbound());
    }

    @Test
    void aMaximalBodyIsServed() {
        EmbeddedChannel ch = channel(new XenStore());
        String body = "/m\0" + "v".repeat(XsSockMsg.PAYLOAD_MAX - 3);
        ch.writeInbound(Unpooled.wrappedBuffer(msg(XsSockMsg.XS_WRITE, 3, 0, body)));
        assertEquals(XsSockMsg.XS_WRITE, new XsSockMsg().wrap(next(ch)).type());
        assertTrue(ch.isOpen());
    }
}
