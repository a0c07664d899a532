package org.fallow.xc.transport;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.wire.EvtchnSend;
import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameHeader;
import org.fallow.abi.wire.FrameType;
import org.fallow.abi.wire.HelloAck;
import org.fallow.abi.wire.StatusFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The client's receive buffer (one read(2) may bring several frames, or part of one) against a scripted server that
 * chooses how the bytes arrive: frames coalesced into one write, a frame trickling in byte by byte.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReceiveBufferTest {
    private static final byte[] SECRET = "fallow-secret-01".getBytes();

    private Path dir;
    private ServerSocketChannel server;
    private SocketChannel peer;

    @BeforeEach
    void listen() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "flrx"); // 0700
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(dir.resolve("hv.sock")));
    }

    @AfterEach
    void close() throws IOException {
        if (peer != null) peer.close();
        server.close();
        Files.deleteIfExists(dir.resolve("hv.sock"));
        Files.deleteIfExists(dir);
    }

    /** Connects a guest while the scripted server answers its HELLO. */
    private HypervisorConnection connect() throws Exception {
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

    private Frame readFrame() throws IOException {
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

    private void send(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) peer.write(b);
    }

    private static byte[] ret(long requestId, long status) {
        return new Frame(FrameType.HYPERCALL_RET, requestId, StatusFrame.encode(status)).encode();
    }

    private static byte[] event(int port) {
        return new Frame(FrameType.EVTCHN_SEND, 0, EvtchnSend.encode(port)).encode();
    }

    @Test
    void aReplyAndTheFramesBehindItInOneWriteAreEachDelivered() throws Exception {
        try (HypervisorConnection c = connect()) {
            LinkedBlockingQueue<Integer> events = new LinkedBlockingQueue<>();
            c.onEvent(events::add);
            CompletableFuture<Long> call = CompletableFuture.supplyAsync(() -> {
                try {
                    return c.hypercall(17, 1, 2);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Frame req = readFrame();
            assertEquals(FrameType.HYPERCALL, req.type());
            ByteArrayOutputStream burst = new ByteArrayOutputStream();
            burst.write(event(9));
            burst.write(ret(req.requestId(), 7));
            burst.write(event(10));
            send(burst.toByteArray()); // three frames, one write

            assertEquals(7L, call.get(30, TimeUnit.SECONDS));
            assertEquals(9, events.poll(30, TimeUnit.SECONDS));
            assertEquals(10, events.poll(30, TimeUnit.SECONDS));
            assertNull(events.poll(100, TimeUnit.MILLISECONDS), "each frame delivered once");
        }
    }

    @Test
    void aReplyTricklingInByteByByteIsReassembledByTheCallingThread() throws Exception {
        try (HypervisorConnection c = connect()) {
            CompletableFuture<Long> call = CompletableFuture.supplyAsync(() -> {
                try {
                    return c.hypercall(17);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Frame req = readFrame();
            byte[] reply = ret(req.requestId(), -22);
            for (byte b : reply) {
                send(new byte[]{b});
                Thread.sleep(1);
            }
            assertEquals(-22L, call.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void pipelinedRepliesArrivingTogetherCompleteTheirOwnRequests() throws Exception {
        try (HypervisorConnection c = connect()) {
            CompletableFuture<Long> first = c.hypercallAsync(17, 1);
            CompletableFuture<Long> second = c.hypercallAsync(17, 2);
            Frame a = readFrame(), b = readFrame();
            ByteBuffer both = ByteBuffer.allocate(2 * (FrameHeader.LENGTH + StatusFrame.LENGTH)).order(ByteOrder.LITTLE_ENDIAN);
            both.put(ret(b.requestId(), 200)).put(ret(a.requestId(), 100)); // out of order, one write
            send(both.array());
            assertEquals(100L, first.get(30, TimeUnit.SECONDS));
            assertEquals(200L, second.get(30, TimeUnit.SECONDS));
        }
    }
}
