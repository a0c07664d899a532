package org.fallow.xc.transport;

import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameHeader;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Bytes read from the hypervisor's socket and not yet parsed into frames. One read(2) takes a whole reply (header and
 * payload) and whatever follows it, instead of one read per part. Used only by the holder of the {@link ReadRole}.
 */
final class ReceiveBuffer {
    /** Room for a few whole frames: a frame is at most a header plus {@link FrameHeader#MAX_PAYLOAD}. */
    static final int BYTES = 4 * (FrameHeader.LENGTH + FrameHeader.MAX_PAYLOAD);

    /** Unparsed bytes at position..limit. Direct: read(2) writes into it in place. */
    private final ByteBuffer rx = ByteBuffer.allocateDirect(BYTES).limit(0);
    private final byte[] header = new byte[FrameHeader.LENGTH];
    private final FrameHeader headerView = new FrameHeader().wrap(header);

    /** The next whole frame received, or null if the bytes received end inside (or before) one. */
    Frame next() throws IOException {
        if (rx.remaining() < FrameHeader.LENGTH) return null;
        int at = rx.position();
        rx.get(at, header);
        FrameHeader.Rejection bad = headerView.check(FrameHeader.LENGTH);
        if (bad != null) throw new IOException("bad frame from the hypervisor: " + bad.reason());
        int length = (int) headerView.length(); // <= MAX_PAYLOAD: check() refuses more
        if (rx.remaining() < FrameHeader.LENGTH + length) return null;
        byte[] payload = new byte[length];
        rx.position(at + FrameHeader.LENGTH).get(payload);
        return new Frame(headerView.type(), headerView.requestId(), payload);
    }

    /**
     * One read(2) from {@code channel} behind the bytes held (blocks if the socket has nothing to read), into this
     * buffer itself ({@link DirectSocketIo}). There is always room: whole frames are taken out by {@link #next} before
     * another read, and what remains is less than one frame.
     */
    void readFrom(GuardedSocket channel) throws IOException {
        rx.compact();
        try {
            if (channel.read(rx) < 0) throw new EOFException("hypervisor closed the connection");
        } finally {
            rx.flip();
        }
    }
}
