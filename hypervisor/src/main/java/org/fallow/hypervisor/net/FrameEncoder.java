package org.fallow.hypervisor.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameHeader;

/** Writes a {@link Frame}: the 24-byte header (via {@link FrameHeader}) then the payload. Stateless. */
@ChannelHandler.Sharable
public final class FrameEncoder extends MessageToByteEncoder<Frame> {
    public static final FrameEncoder INSTANCE = new FrameEncoder();

    @Override protected void encode(ChannelHandlerContext ctx, Frame f, ByteBuf out) {
        byte[] header = new byte[FrameHeader.LENGTH];
        new FrameHeader().wrap(header).set(f.type(), f.requestId(), f.payload().length);
        out.writeBytes(header);
        out.writeBytes(f.payload());
    }

    @Override protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, Frame f, boolean preferDirect) {
        int size = FrameHeader.LENGTH + f.payload().length;
        return preferDirect ? ctx.alloc().ioBuffer(size) : ctx.alloc().heapBuffer(size);
    }
}
