package org.fallow.conformance;

import org.fallow.abi.wire.FrameHeader;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;

/**
 * An independent wire-protocol client: the JDK's own Unix-domain {@link SocketChannel} (not the JNR transport the
 * product uses), frames encoded and decoded by hand from docs/PROTOCOL.md §1. Reads wait at most {@link #TIMEOUT}
 * so a non-answering server fails a case instead of hanging it.
 */
public final class RawConnection implements AutoCloseable {
    public static final Duration TIMEOUT = Duration.ofSeconds(10);
    public static final int MAGIC = FrameHeader.MAGIC;

    private final SocketChannel ch;
    private final Selector selector;

    private RawConnection(SocketChannel ch) throws IOException {
        this.ch = ch;
        ch.configureBlocking(false);
        this.selector = Selector.open();
        ch.register(selector, SelectionKey.OP_READ);
    }

    public static RawConnection open(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return new RawConnection(ch);
    }

    /** The 24-byte header of PROTOCOL §1 with the given fields, little-endian. */
    public static byte[] header(int magic, int version, int type, int flags, long requestId, long length, long reserved) {
        byte[] h = new byte[FrameHeader.LENGTH];
        new FrameHeader().wrap(h).magic(magic).version(version).type(type).flags(flags).requestId(requestId)
                .length(length).reserved(reserved);
        return h;
    }

    /** A complete valid frame (magic, version 1, flags 0, reserved 0). */
    public static byte[] frame(int type, long requestId, byte[] payload) {
        byte[] h = header(MAGIC, FrameHeader.VERSION, type, 0, requestId, payload.length, 0);
        byte[] out = new byte[h.length + payload.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(payload, 0, out, h.length, payload.length);
        return out;
    }

    public void send(int type, long requestId, byte[] payload) throws IOException { write(frame(type, requestId, payload)); }

    /** Writes raw bytes (possibly a partial or malformed frame). */
    public void write(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (b.hasRemaining()) {
            if (ch.write(b) == 0) {
                if (System.nanoTime() > deadline) throw new IOException("write timed out");
                Thread.onSpinWait();
            }
        }
    }

    /** Writes {@code bytes} one byte per write call (a split frame). */
    public void writeByteByByte(byte[] bytes) throws IOException {
        for (byte x : bytes) write(new byte[] {x});
    }

    /** Reads the next frame, or throws {@link EOFException} if the server closed the connection first. */
    public RawFrame read() throws IOException {
        byte[] header = readFully(RawFrame.HEADER_LENGTH);
        long len = new FrameHeader().wrap(header).length();
        if (len > 1 << 20) throw new IOException("server sent a frame announcing " + len + " payload bytes");
        return new RawFrame(header, readFully((int) len));
    }

    /** True when the server closes the connection (end of stream) before sending anything more within the timeout. */
    public boolean awaitClosed() throws IOException {
        try {
            RawFrame f = read();
            throw new IOException("expected the connection to close, got " + f);
        } catch (EOFException e) {
            return true;
        }
    }

    /** Reads exactly {@code n} raw bytes (protocols without Fallow framing, e.g. xenstored.sock). */
    public byte[] readBytes(int n) throws IOException { return readFully(n); }

    private byte[] readFully(int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (b.hasRemaining()) {
            int r = ch.read(b);
            if (r < 0) throw new EOFException("connection closed after " + b.position() + " of " + n + " bytes");
            if (r == 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) throw new IOException("no answer within " + TIMEOUT + " (" + b.position() + " of " + n + " bytes)");
                selector.select(Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
            }
        }
        return b.array();
    }

    @Override public void close() throws IOException {
        try {
            selector.close();
        } finally {
            ch.close();
        }
    }
}
