package org.fallow.xc.transport;

import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import org.fallow.abi.AbiProfile;
import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameHeader;
import org.fallow.abi.wire.FrameType;
import org.fallow.abi.wire.HelloAck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A closed connection never touches its old descriptor number again. JNR's read, write and shutdown act on the raw
 * number without checking that the channel is open, and the kernel gives the lowest free number to the next socket
 * or file this process opens (in-process, the hypervisor's own sockets and memory files): a call after close would
 * act on that file. Each test makes a "victim" socket take over the number and checks it is left alone.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SocketDescriptorReuseTest {
    private static final byte[] SECRET = "fallow-secret-01".getBytes();
    private static final byte[] PING = "ping".getBytes(StandardCharsets.US_ASCII);

    private Path dir;
    private ServerSocketChannel server;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void listen() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "flfd"); // 0700
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(dir.resolve("hv.sock")));
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) c.close();
        server.close();
        Files.deleteIfExists(dir.resolve("hv.sock"));
        Files.deleteIfExists(dir);
    }

    private SocketChannel accept() throws IOException {
        SocketChannel s = server.accept();
        open.add(s);
        return s;
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
        SocketChannel peer = accept();
        ByteBuffer h = ByteBuffer.allocate(FrameHeader.LENGTH);
        readFully(peer, h);
        FrameHeader view = new FrameHeader().wrap(h.array());
        readFully(peer, ByteBuffer.allocate((int) view.length()));
        assertEquals(FrameType.HELLO, view.type());
        ByteBuffer ack = ByteBuffer.wrap(new Frame(FrameType.HELLO_ACK, view.requestId(), HelloAck.encode(0, 5, 4, dir.toString())).encode());
        while (ack.hasRemaining()) peer.write(ack);
        return c.get(30, TimeUnit.SECONDS);
    }

    private static void readFully(SocketChannel s, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) if (s.read(b) < 0) throw new EOFException();
    }

    /** A JNR socket to the server holding descriptor number {@code fd}, and its accepted peer. */
    private record Victim(UnixSocketChannel socket, SocketChannel peer) {}

    /** Opens sockets until one gets descriptor {@code fd} (the kernel hands out the lowest free number); bounded. */
    private Victim takeOver(int fd) throws IOException {
        for (int i = 0; i < 64; i++) {
            UnixSocketChannel s = UnixSocketChannel.open(new UnixSocketAddress(dir.resolve("hv.sock").toFile()));
            open.add(s);
            SocketChannel peer = accept();
            if (s.getFD() == fd) return new Victim(s, peer);
        }
        throw new AssertionError("no new socket got descriptor " + fd + " back in 64 tries");
    }

    /** The victim still reads what its peer sends: its input was not shut down and no one else took the bytes. */
    private static void assertVictimReceives(Victim v) throws IOException {
        ByteBuffer out = ByteBuffer.wrap(PING);
        try {
            while (out.hasRemaining()) v.peer().write(out);
        } catch (IOException e) {
            throw new AssertionError("the victim socket's input was shut down through the old descriptor: " + e.getMessage(), e);
        }
        ByteBuffer in = ByteBuffer.allocate(PING.length);
        while (in.hasRemaining()) {
            int n = v.socket().read(in);
            assertTrue(n >= 0, "the victim socket reads end-of-stream: its input was shut down through the old descriptor");
        }
        assertArrayEquals(PING, in.array());
    }

    @Test
    void aSecondCloseLeavesTheSocketThatGotTheDescriptorNumberAlone() throws Exception {
        HypervisorConnection c = connect();
        int fd = c.descriptor();
        assertTrue(fd >= 0);
        c.close();
        assertEquals(-1, c.descriptor(), "closed");
        Victim v = takeOver(fd);

        c.close(); // e.g. a platform closed by its owner after a failed start already closed it

        assertVictimReceives(v);
    }

    @Test
    void callsAfterCloseFailWithoutTouchingTheDescriptorNumber() throws Exception {
        UnixSocketChannel raw = UnixSocketChannel.open(new UnixSocketAddress(dir.resolve("hv.sock").toFile()));
        SocketChannel rawPeer = accept();
        GuardedSocket g = new GuardedSocket(raw, "test");
        int fd = g.descriptor();
        assertTrue(g.close(Duration.ofSeconds(30)));
        assertTrue(g.isClosed());
        rawPeer.close();
        Victim v = takeOver(fd);

        assertThrows(ClosedChannelException.class, () -> g.read(ByteBuffer.allocate(16)));
        assertThrows(ClosedChannelException.class, () -> g.write(ByteBuffer.wrap("junk".getBytes(StandardCharsets.US_ASCII))));
        assertFalse(g.close(Duration.ofSeconds(30)), "only the first close acts");

        assertVictimReceives(v);
        v.peer().configureBlocking(false);
        assertEquals(0, v.peer().read(ByteBuffer.allocate(16)), "nothing was written into the victim's stream");
    }

    /**
     * JNR's channel, recording in one sequence when its read(2) returned (inside GuardedSocket's shared lock) and when
     * its close(2) began: what "closed only after the reader came out" means, observed where it happens.
     */
    private static final class RecordingChannel implements ClientChannel {
        private final ClientChannel.Jnr delegate;
        private final java.util.concurrent.atomic.AtomicInteger sequence = new java.util.concurrent.atomic.AtomicInteger();
        volatile int readReturnedAt = -1, closeBeganAt = -1;

        RecordingChannel(UnixSocketChannel channel) { delegate = new ClientChannel.Jnr(channel); }

        @Override public int read(ByteBuffer dst) throws IOException {
            try {
                return delegate.read(dst);
            } finally {
                readReturnedAt = sequence.incrementAndGet();
            }
        }

        @Override public int write(ByteBuffer src) throws IOException { return delegate.write(src); }

        @Override public void shutdownInput() throws IOException { delegate.shutdownInput(); }

        @Override public void shutdownOutput() throws IOException { delegate.shutdownOutput(); }

        @Override public void close() throws IOException {
            closeBeganAt = sequence.incrementAndGet();
            delegate.close();
        }

        @Override public int fd() { return delegate.fd(); }
    }

    @Test
    void closeWakesABlockedReaderAndClosesTheDescriptorOnlyAfterItReturned() throws Exception {
        RecordingChannel raw = new RecordingChannel(UnixSocketChannel.open(new UnixSocketAddress(dir.resolve("hv.sock").toFile())));
        accept(); // the peer stays silent: the read blocks
        GuardedSocket g = new GuardedSocket(raw, "test");
        CountDownLatch entered = new CountDownLatch(1);
        CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> {
            entered.countDown();
            try {
                return g.read(ByteBuffer.allocate(16));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        assertTrue(entered.await(30, TimeUnit.SECONDS));
        assertTrue(g.close(Duration.ofSeconds(30)), "closed once the reader left read(2)");
        assertTrue(raw.closeBeganAt > 0, "the descriptor was closed");
        int n;
        try {
            n = read.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            // the close won the race to the lock before the read started: refused without touching the descriptor
            assertTrue(e.getCause().getCause() instanceof ClosedChannelException, e.toString());
            assertEquals(-1, raw.readReturnedAt, "the refused read never reached read(2)");
            return;
        }
        // the read was inside read(2) when the close began: the descriptor was closed only after it had come out
        assertTrue(raw.readReturnedAt > 0 && raw.readReturnedAt < raw.closeBeganAt,
                "read(2) returned (" + raw.readReturnedAt + ") before close(2) began (" + raw.closeBeganAt + ")");
        assertEquals(-1, n, "woken by the shutdown with end-of-stream");
    }
}
