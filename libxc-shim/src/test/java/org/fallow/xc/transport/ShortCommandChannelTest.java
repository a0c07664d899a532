package org.fallow.xc.transport;

import org.fallow.abi.AbiProfile;
import org.fallow.hypervisor.testing.ServedHypervisor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.channels.spi.SelectorProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The short commands' connection ({@link ClientChannel.Jdk}: the JDK's Unix-socket channel, no descriptor number, so
 * no FFM fast path and no epoll set) against an in-process hypervisor: synchronous calls, pipelined calls and watch
 * events (both read by the background reader, which then reads blocking) and close.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShortCommandChannelTest {
    private ServedHypervisor hv;

    @BeforeEach
    void start() throws Exception {
        hv = ServedHypervisor.start(64);
        hv.core().registerHypercall(42, (c, a) -> a[0] * 3 + a[4]);
    }

    @AfterEach void stop() { hv.close(); }

    private HypervisorConnection connect() throws IOException {
        return HypervisorConnection.toolstack(hv.server().socket(), hv.dir(), AbiProfile.XEN_4_12, HypervisorConnection.DEFAULT_ARENA_BYTES, true);
    }

    @Test
    void synchronousCallsOverTheJdkChannelHaveNoDescriptorNumber() throws Exception {
        try (HypervisorConnection c = connect()) {
            assertEquals(-1, c.descriptor(), "the JDK's channel gives no descriptor number: no fast path may use one");
            for (long i = 0; i < 100; i++) assertEquals(i * 3 + 7, c.hypercall(42, i, 0, 0, 0, 7));
            c.xenstore().write("/local/domain/0/name", "Domain-0");
            assertEquals("Domain-0", c.xenstore().read("/local/domain/0/name"));
            assertEquals(0, c.handedOffReplies(), "synchronous calls read their own replies");
        }
    }

    @Test
    void pipelinedCallsAreReadByTheBlockingBackgroundReader() throws Exception {
        try (HypervisorConnection c = connect()) {
            List<CompletableFuture<Long>> replies = new ArrayList<>();
            for (long i = 0; i < 64; i++) replies.add(c.hypercallAsync(42, i, 0, 0, 0, 1));
            for (int i = 0; i < replies.size(); i++) assertEquals(i * 3L + 1, replies.get(i).get(30, TimeUnit.SECONDS));
            assertEquals(5 * 3 + 1, c.hypercall(42, 5, 0, 0, 0, 1), "a synchronous call after them still works");
        }
    }

    @Test
    void watchEventsArriveWhileNothingElseIsInFlight() throws Exception {
        try (HypervisorConnection c = connect()) {
            LinkedBlockingQueue<String> fired = new LinkedBlockingQueue<>();
            c.xenstore().watch("/local/domain/0/memory", "tok", fired::add);
            assertEquals("/local/domain/0/memory", fired.poll(30, TimeUnit.SECONDS), "a new watch fires once at once (as xenstored)");
            c.xenstore().write("/local/domain/0/memory/target", "1024");
            assertEquals("/local/domain/0/memory/target", fired.poll(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void aClosedConnectionRefusesCalls() throws Exception {
        HypervisorConnection c = connect();
        assertEquals(3, c.hypercall(42, 1, 0, 0, 0, 0));
        c.close();
        assertThrows(IOException.class, () -> c.hypercall(42, 1, 0, 0, 0, 0));
        assertEquals(-1, c.descriptor());
    }

    @Test
    void theJdkProviderIsNamedSoNoJarIsSearchedForOne() {
        ClientChannel.Jdk.nameTheJdkProvider();
        assertEquals(ClientChannel.Jdk.JDK_PROVIDER, System.getProperty(ClientChannel.Jdk.PROVIDER_PROPERTY));
        assertEquals(ClientChannel.Jdk.JDK_PROVIDER, SelectorProvider.provider().getClass().getName(),
                "the provider named is the one the JDK uses (what its look-up ends with on Linux)");
    }
}
