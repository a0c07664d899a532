package org.fallow.hypervisor.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameHeader;

/** Writes a {@link Frame}: the 24-byte header ({@link FrameHeader}'s layout) then the payload. Stateless. */
@ChannelHandler.Sharable
public final class FrameEncoder extends MessageToByteEncoder<Frame> {
    public static final FrameEncoder INSTANCE = new FrameEncoder();

    @Override protected void encode(ChannelHandlerContext ctx, Frame f, ByteBuf out) {
        byte[] payload = f.payload();
        // FrameHeader.set's fields in FrameHeader.LAYOUT's order, little-endian, straight into the buffer (no header
        // array and flyweight per reply): magic, version, type, flags 0, request_id, length, reserved 0
        out.writeIntLE(FrameHeader.MAGIC).writeByte(FrameHeader.VERSION).writeByte(f.type()).writeShortLE(0)
                .writeLongLE(f.requestId()).writeIntLE(payload.length).writeIntLE(0)
                .writeBytes(payload);
    }

    @Override protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, Frame f, boolean preferDirect) {
        int size = FrameHeader.LENGTH + f.payload().length;
        return preferDirect ? ctx.alloc().ioBuffer(size) : ctx.alloc().heapBuffer(size);
    }
}
