package org.fallow.xc.transport;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.wire.EvtchnSend;
import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameHeader;
import org.fallow.abi.wire.FrameType;
import org.fallow.abi.wire.HelloAck;
import org.fallow.abi.wire.StatusFrame;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The hypervisor's end of one client connection, scripted by a test: it answers the HELLO of a guest, then the test
 * reads the client's frames and chooses what bytes to send back, and how (frames coalesced into one write, split).
 */
final class ScriptedHypervisor implements AutoCloseable {
    static final byte[] SECRET = "fallow-secret-01".getBytes();

    private final Path dir;
    private final ServerSocketChannel server;
    private SocketChannel peer;

    ScriptedHypervisor() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "flrx"); // 0700
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(dir.resolve("hv.sock")));
    }

    /** Connects a guest of domain 5 while answering its HELLO. */
    HypervisorConnection connect() throws Exception {
        CompletableFuture<HypervisorConnection> c = CompletableFuture.supplyAsync(() -> {
            try {
                return HypervisorConnection.guest(dir.resolve("hv.sock"), 5, SECRET, AbiProfile.XEN_4_12);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        peer = server.accept();
        Frame hello = readFrame();
        assertEquals(FrameType.HELLO, hello.type());
        send(new Frame(FrameType.HELLO_ACK, hello.requestId(), HelloAck.encode(0, 5, 4, dir.toString())).encode());
        return c.get(30, TimeUnit.SECONDS);
    }

    /** The client's next frame (blocks until it has been sent). */
    Frame readFrame() throws IOException {
        ByteBuffer h = ByteBuffer.allocate(FrameHeader.LENGTH);
        readFully(h);
        FrameHeader view = new FrameHeader().wrap(h.array());
        ByteBuffer p = ByteBuffer.allocate((int) view.length());
        readFully(p);
        return new Frame(view.type(), view.requestId(), p.array());
    }

    private void readFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) if (peer.read(b) < 0) throw new EOFException();
    }

    /** Sends {@code bytes} to the client in one write. */
    void send(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) peer.write(b);
    }

    /** Ends the connection from the hypervisor's side. */
    void hangUp() throws IOException { peer.close(); }

    static byte[] ret(long requestId, long status) {
        return new Frame(FrameType.HYPERCALL_RET, requestId, StatusFrame.encode(status)).encode();
    }

    static byte[] event(int port) {
        return new Frame(FrameType.EVTCHN_SEND, 0, EvtchnSend.encode(port)).encode();
    }

    @Override public void close() throws IOException {
        if (peer != null) peer.close();
        server.close();
        Files.deleteIfExists(dir.resolve("hv.sock"));
        Files.deleteIfExists(dir);
    }
}
