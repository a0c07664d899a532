package org.fallow.hypervisor.net;

import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameHeader;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/** A bare JDK Unix-socket client that writes and reads whole frames (or raw bytes), for server tests. */
final class RawClient implements AutoCloseable {
    private final SocketChannel ch;

    RawClient(Path socket) throws IOException {
        ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
    }

    void send(Frame f) throws IOException { raw(f.encode()); }

    void raw(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) ch.write(b);
    }

    Frame read() throws IOException {
        ByteBuffer h = ByteBuffer.allocate(FrameHeader.LENGTH);
        fill(h);
        FrameHeader hdr = new FrameHeader().wrap(h.array());
        if (hdr.check(FrameHeader.LENGTH) != null) throw new IOException("bad frame from server: " + hdr.check(24).reason());
        ByteBuffer p = ByteBuffer.allocate((int) hdr.length());
        fill(p);
        return new Frame(hdr.type(), hdr.requestId(), p.array());
    }

    /** True if the server closed the connection (reads EOF). */
    boolean closedByServer() throws IOException {
        return ch.read(ByteBuffer.allocate(1)) < 0;
    }

    private void fill(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) if (ch.read(b) < 0) throw new EOFException("server closed");
    }

    @Override public void close() throws IOException { ch.close(); }
}
