package org.fallow.xc.transport;

import org.fallow.abi.wire.FrameHeader;
import org.fallow.abi.wire.FrameType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** close() is bounded even while another thread is stuck in write(2) behind a hypervisor that stopped reading. */
class CloseBehindStuckSenderTest {
    private ScriptedHypervisor hv;

    @BeforeEach
    void start() throws IOException { hv = new ScriptedHypervisor(); }

    @AfterEach
    void stop() throws IOException { hv.close(); }

    @Test
    void closeReturnsAndTheStuckSenderFails() throws Exception {
        HypervisorConnection c = hv.connect(); // the scripted hypervisor now reads nothing more
        byte[] payload = new byte[FrameHeader.MAX_PAYLOAD];
        Thread[] senderThread = new Thread[1];
        CompletableFuture<Integer> sender = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            int sent = 0;
            try {
                for (; sent < 1_000_000; sent++) c.send(FrameType.XENSTORE, payload); // pipelined: fills the socket, then blocks
                sender.complete(sent);
            } catch (IOException | RuntimeException e) {
                sender.completeExceptionally(e);
            }
        }, "sender");
        senderThread[0] = t;
        t.start();
        // wait (bounded) until the sender is blocked in write(2): its thread is RUNNABLE in native code, so look for
        // the socket being full instead: no progress over a few checks
        for (int i = 0; i < 600 && !sender.isDone(); i++) {
            Thread.sleep(50);
            StackTraceElement[] st = t.getStackTrace();
            if (st.length > 0 && java.util.Arrays.stream(st).anyMatch(e -> e.getClassName().contains("UnixSocketChannel")
                    && e.getMethodName().equals("write"))) break;
        }
        assertFalse(sender.isDone(), "the sender never blocked");
        CompletableFuture<Void> closed = CompletableFuture.runAsync(c::close);
        closed.get(60, TimeUnit.SECONDS); // BYE skipped (lock busy for 1 s), the shutdown frees the stuck write
        ExecutionException e = assertThrows(ExecutionException.class, () -> sender.get(60, TimeUnit.SECONDS));
        assertInstanceOf(IOException.class, e.getCause(), e.toString());
        assertFalse(c.isOpen());
    }
}
