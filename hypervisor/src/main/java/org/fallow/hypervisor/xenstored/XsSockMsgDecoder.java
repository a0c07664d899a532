package org.fallow.hypervisor.xenstored;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import org.fallow.abi.wire.XsSockMsg;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteOrder;
import java.util.List;

/**
 * Cuts the {@code xenstored.sock} byte stream into xsd_sockmsg messages (16-byte little-endian header, then {@code len}
 * body bytes) and emits each as a {@code byte[]} holding header + body. A header announcing more than
 * XENSTORE_PAYLOAD_MAX body bytes is a protocol violation: as xenstored ("Client tried to feed us ..."), the
 * connection is logged and closed; nothing larger than 16 + 4096 bytes is ever buffered for a message.
 */
public final class XsSockMsgDecoder extends ByteToMessageDecoder {
    private static final Logger log = LoggerFactory.getLogger(XsSockMsgDecoder.class);
    private boolean closed;

    @Override protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (closed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < XsSockMsg.HEADER_LENGTH) return;
        long len = in.getUnsignedIntLE(in.readerIndex() + XsSockMsg.LEN_OFFSET);
        if (len > XsSockMsg.PAYLOAD_MAX) {
            closed = true;
            int type = in.order(ByteOrder.LITTLE_ENDIAN).getInt(in.readerIndex() + XsSockMsg.TYPE_OFFSET);
            in.skipBytes(in.readableBytes());
            log.warn("{}: {} with a {}-byte body (> XENSTORE_PAYLOAD_MAX {}); closing the connection",
                    ctx.channel().remoteAddress(), XsSockMsg.typeName(type), len, XsSockMsg.PAYLOAD_MAX);
            ctx.close();
            return;
        }
        int total = XsSockMsg.HEADER_LENGTH + (int) len;
        if (in.readableBytes() < total) return;
        byte[] msg = new byte[total];
        in.readBytes(msg);
        out.add(msg);
    }

    @Override protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (!closed && in.readableBytes() > 0)
            log.info("{}: connection closed with {} bytes of an incomplete message; discarded", ctx.channel().remoteAddress(), in.readableBytes());
        in.skipBytes(in.readableBytes());
    }
}
