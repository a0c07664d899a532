package org.fallow.xc.transport;

import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameHeader;
import org.fallow.abi.wire.FrameType;
import org.fallow.abi.wire.StatusFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.fallow.xc.transport.ScriptedHypervisor.event;
import static org.fallow.xc.transport.ScriptedHypervisor.ret;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The client's receive buffer (one read(2) may bring several frames, or part of one) against a scripted server that
 * chooses how the bytes arrive: frames coalesced into one write, a frame trickling in byte by byte.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReceiveBufferTest {
    private ScriptedHypervisor hv;

    @BeforeEach
    void listen() throws IOException { hv = new ScriptedHypervisor(); }

    @AfterEach
    void close() throws IOException { hv.close(); }

    private HypervisorConnection connect() throws Exception { return hv.connect(); }

    private Frame readFrame() throws IOException { return hv.readFrame(); }

    private void send(byte[] bytes) throws IOException { hv.send(bytes); }

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
