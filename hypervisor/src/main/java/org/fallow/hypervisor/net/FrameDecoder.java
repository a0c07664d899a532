package org.fallow.hypervisor.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import org.fallow.abi.XenErrno;
import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameHeader;
import org.fallow.abi.wire.FrameType;
import org.fallow.abi.wire.HypercallFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Cuts the byte stream into {@link Frame}s (a HYPERCALL into a {@link HypercallRequest}, read from the receive buffer
 * without a payload copy) and enforces PROTOCOL §1.2. A header is judged as soon as the fields
 * concerned have arrived: a wrong magic after 4 bytes, an unknown version after 5, an oversize length after 20 —
 * those are fatal (framing is lost; later bytes are ignored). Non-zero flags/reserved, an unknown type or a payload
 * of the wrong length drop that one frame and keep the connection. Either way the decoder passes a {@link BadFrame} on
 * in the frame's place; the handler answers it (ERROR, and the close for a fatal one) after the replies to the
 * requests before it. A connection that closes mid-frame has its partial frame logged and discarded.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    private static final Logger log = LoggerFactory.getLogger(FrameDecoder.class);

    private final byte[] headerBytes = new byte[FrameHeader.LENGTH];
    private final FrameHeader header = new FrameHeader().wrap(headerBytes);
    private boolean framingLost;

    @Override protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (framingLost) {
            in.skipBytes(in.readableBytes());
            return;
        }
        int available = Math.min(in.readableBytes(), FrameHeader.LENGTH);
        if (available == 0) return;
        in.getBytes(in.readerIndex(), headerBytes, 0, available);
        FrameHeader.Rejection rejection = header.check(available);
        if (rejection != null && rejection.fatal()) {
            framingLost = true;
            long id = available >= FrameHeader.LENGTH ? header.requestId() : 0;
            in.skipBytes(in.readableBytes());
            out.add(new BadFrame(id, rejection.errno(), rejection.reason(), true));
            return;
        }
        if (available < FrameHeader.LENGTH) return;
        int length = (int) header.length();
        if (in.readableBytes() < FrameHeader.LENGTH + length) return;

        int type = header.type();
        long requestId = header.requestId();
        if (rejection != null) {
            in.skipBytes(FrameHeader.LENGTH + length);
            out.add(new BadFrame(requestId, rejection.errno(), rejection.reason(), false));
            return;
        }
        in.skipBytes(FrameHeader.LENGTH);
        if (type == FrameType.HYPERCALL && length == HypercallFrame.LENGTH) { // the one valid length: no payload copy
            out.add(hypercall(requestId, in));
            return;
        }
        byte[] payload = new byte[length];
        in.readBytes(payload);
        if (!FrameType.payloadLengthValid(type, MemorySegment.ofArray(payload))) {
            out.add(new BadFrame(requestId, -XenErrno.EINVAL,
                    "payload of " + length + " bytes is malformed for " + FrameType.name(type), false));
            return;
        }
        out.add(new Frame(type, requestId, payload));
    }

    /** Reads a HYPERCALL's {@code privcmd_hypercall} payload (little-endian) from {@code in}'s reader index on. */
    private static HypercallRequest hypercall(long requestId, ByteBuf in) {
        int base = in.readerIndex();
        long op = in.getLongLE(base + HypercallFrame.OP_OFFSET);
        long[] args = new long[HypercallFrame.NR_ARGS];
        for (int i = 0; i < args.length; i++) args[i] = in.getLongLE(base + HypercallFrame.argOffset(i));
        in.skipBytes(HypercallFrame.LENGTH);
        return new HypercallRequest(requestId, op, args);
    }

    @Override protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        super.decodeLast(ctx, in, out);
        if (!framingLost && in.isReadable()) {
            int have = in.readableBytes();
            String want = have >= FrameHeader.LENGTH ? (FrameHeader.LENGTH + header.length()) + " bytes" : "a 24-byte header";
            log.warn("{}: connection closed mid-frame ({} bytes of {}); partial frame discarded",
                    Peers.name(ctx.channel()), have, want);
            in.skipBytes(have);
        }
    }
}
