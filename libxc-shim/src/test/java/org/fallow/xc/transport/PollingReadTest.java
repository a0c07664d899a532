package org.fallow.xc.transport;

import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import org.fallow.abi.sys.SpinPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A read that polls before it blocks ({@link SpinPolicy}): it returns what the peer sends, whether that comes inside
 * its window or after it (then from the blocking read), and a close ends it at once even with a long window. The
 * policies here are fixed, not the machine's, so the polling path is taken whatever the machine's load.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PollingReadTest {
    private static final byte[] REPLY = "reply-bytes".getBytes(StandardCharsets.US_ASCII);

    private Path dir;
    private ServerSocketChannel server;
    private UnixSocketChannel client;
    private SocketChannel peer;

    @BeforeEach
    void connect() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "flpoll"); // 0700
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(dir.resolve("hv.sock")));
        client = UnixSocketChannel.open(new UnixSocketAddress(dir.resolve("hv.sock").toFile()));
        peer = server.accept();
    }

    @AfterEach
    void close() throws IOException {
        peer.close();
        client.close();
        server.close();
        Files.deleteIfExists(dir.resolve("hv.sock"));
        Files.deleteIfExists(dir);
    }

    /** Reads on another thread into a direct buffer, once it has entered read; returns the count and the bytes. */
    private CompletableFuture<ByteBuffer> readAsync(GuardedSocket g, CountDownLatch entered) {
        return CompletableFuture.supplyAsync(() -> {
            ByteBuffer b = ByteBuffer.allocateDirect(64);
            entered.countDown();
            try {
                int n = g.read(b);
                return n < 0 ? null : b.flip();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return a;
    }

    @Test
    void aReplyWithinTheWindowIsReadByThePoll() throws Exception {
        GuardedSocket g = new GuardedSocket(client, "test", SpinPolicy.fixed(true, Duration.ofSeconds(30).toNanos()));
        CountDownLatch entered = new CountDownLatch(1);
        CompletableFuture<ByteBuffer> read = readAsync(g, entered);
        assertTrue(entered.await(30, TimeUnit.SECONDS));
        peer.write(ByteBuffer.wrap(REPLY));
        assertEquals(new String(REPLY, StandardCharsets.US_ASCII), new String(bytes(read.get(30, TimeUnit.SECONDS)), StandardCharsets.US_ASCII));
    }

    @Test
    void bytesAlreadyThereAreReturnedByTheFirstPoll() throws Exception {
        GuardedSocket g = new GuardedSocket(client, "test", SpinPolicy.fixed(true, Duration.ofSeconds(30).toNanos()));
        peer.write(ByteBuffer.wrap(REPLY));
        ByteBuffer b = ByteBuffer.allocateDirect(64);
        assertEquals(REPLY.length, g.read(b));
        assertEquals(new String(REPLY, StandardCharsets.US_ASCII), new String(bytes(b.flip()), StandardCharsets.US_ASCII));
    }

    @Test
    void aReplyAfterTheWindowIsReadByTheBlockingRead() throws Exception {
        GuardedSocket g = new GuardedSocket(client, "test", SpinPolicy.fixed(true, 1_000)); // 1 µs: over before the write
        CountDownLatch entered = new CountDownLatch(1);
        CompletableFuture<ByteBuffer> read = readAsync(g, entered);
        assertTrue(entered.await(30, TimeUnit.SECONDS));
        Thread.sleep(50); // the window has long ended: the reader is (or soon will be) in the blocking read
        peer.write(ByteBuffer.wrap(REPLY));
        assertEquals(new String(REPLY, StandardCharsets.US_ASCII), new String(bytes(read.get(30, TimeUnit.SECONDS)), StandardCharsets.US_ASCII));
    }

    @Test
    void aCloseEndsAPollingReadAtOnce() throws Exception {
        GuardedSocket g = new GuardedSocket(client, "test", SpinPolicy.fixed(true, Duration.ofMinutes(10).toNanos()));
        CountDownLatch entered = new CountDownLatch(1);
        CompletableFuture<ByteBuffer> read = readAsync(g, entered);
        assertTrue(entered.await(30, TimeUnit.SECONDS));
        assertTrue(g.close(Duration.ofSeconds(30)), "closed once the poller saw end-of-stream and left");
        try {
            assertEquals(null, read.get(30, TimeUnit.SECONDS), "end-of-stream");
        } catch (java.util.concurrent.ExecutionException e) {
            // the close took the lock before the read started: refused without touching the descriptor
            assertTrue(e.getCause().getCause() instanceof java.nio.channels.ClosedChannelException, e.toString());
        }
    }

    @Test
    void endOfStreamFromThePeerEndsThePoll() throws Exception {
        GuardedSocket g = new GuardedSocket(client, "test", SpinPolicy.fixed(true, Duration.ofMinutes(10).toNanos()));
        CountDownLatch entered = new CountDownLatch(1);
        CompletableFuture<ByteBuffer> read = readAsync(g, entered);
        assertTrue(entered.await(30, TimeUnit.SECONDS));
        peer.close();
        assertEquals(null, read.get(30, TimeUnit.SECONDS), "end-of-stream, not a poll until the window ends");
    }

    /**
     * Without polling (pinned, or a busy machine) the read waits in poll(2) for POLLIN, then reads: it returns the
     * reply, ends at the peer's end of stream, and ends when the socket is closed, as the blocking read did.
     */
    @Test
    void withoutPollingTheWaitInPollEndsAtTheReplyAtEndOfStreamAndAtClose() throws Exception {
        SpinPolicy never = SpinPolicy.fixed(false, 0);
        GuardedSocket g = new GuardedSocket(client, "test", never);
        CountDownLatch entered = new CountDownLatch(1);
        CompletableFuture<ByteBuffer> read = readAsync(g, entered);
        assertTrue(entered.await(30, TimeUnit.SECONDS));
        Thread.sleep(50); // the reader is (or soon will be) waiting in poll(2)
        peer.write(ByteBuffer.wrap(REPLY));
        assertEquals(new String(REPLY, StandardCharsets.US_ASCII), new String(bytes(read.get(30, TimeUnit.SECONDS)), StandardCharsets.US_ASCII));

        CountDownLatch entered2 = new CountDownLatch(1);
        CompletableFuture<ByteBuffer> second = readAsync(g, entered2);
        assertTrue(entered2.await(30, TimeUnit.SECONDS));
        Thread.sleep(50);
        assertTrue(g.close(Duration.ofSeconds(30)), "a close ends the wait in poll(2)");
        try {
            assertEquals(null, second.get(30, TimeUnit.SECONDS), "end-of-stream");
        } catch (java.util.concurrent.ExecutionException e) {
            assertTrue(e.getCause().getCause() instanceof java.nio.channels.ClosedChannelException, e.toString());
        }
    }

    @Test
    void withoutPollingThePeersEndOfStreamEndsTheWaitInPoll() throws Exception {
        GuardedSocket g = new GuardedSocket(client, "test", SpinPolicy.fixed(false, 0));
        CountDownLatch entered = new CountDownLatch(1);
        CompletableFuture<ByteBuffer> read = readAsync(g, entered);
        assertTrue(entered.await(30, TimeUnit.SECONDS));
        Thread.sleep(50);
        peer.close();
        assertEquals(null, read.get(30, TimeUnit.SECONDS), "end-of-stream");
    }
}
