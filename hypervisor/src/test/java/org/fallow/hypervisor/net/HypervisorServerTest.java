package org.fallow.hypervisor.net;

import org.fallow.abi.XenErrno;
import org.fallow.abi.wire.DomainEvent;
import org.fallow.abi.wire.EvtchnSend;
import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameType;
import org.fallow.abi.wire.Hello;
import org.fallow.abi.wire.HelloAck;
import org.fallow.abi.wire.HypercallFrame;
import org.fallow.abi.wire.MemFault;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.testing.ServedHypervisor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/** The Netty server in-process, driven over a real Unix socket by a raw JDK client. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HypervisorServerTest {
    private static final byte[] SECRET = "0123456789abcdef".getBytes();

    private ServedHypervisor hv;

    @BeforeEach void start() throws Exception { hv = ServedHypervisor.start(64); }

    @AfterEach
    void stop() {
        hv.closeHypervisor();
        assertFalse(Files.exists(hv.dir().resolve("hv.sock")), "socket removed on close");
        hv.close();
    }

    private RawClient connect() throws Exception { return new RawClient(hv.server().socket()); }

    private RawClient toolstack() throws Exception {
        RawClient c = connect();
        c.send(new Frame(FrameType.HELLO, 1, Hello.encode(Hello.ROLE_TOOLSTACK, 1, 0, null, 0, 0, null)));
        Frame ack = c.read();
        assertEquals(FrameType.HELLO_ACK, ack.type());
        assertEquals(0, new HelloAck().wrap(ack.payload()).status());
        return c;
    }

    private Domain addDomain(int domid) throws Exception {
        Domain d = new Domain(domid, SECRET, 1);
        hv.core().dispatcher().submit(() -> hv.core().domains().add(d)).get();
        return d;
    }

    private static long ackStatus(Frame f) {
        assertEquals(FrameType.HELLO_ACK, f.type());
        return new HelloAck().wrap(f.payload()).status();
    }

    @Test
    void framesBeforeHelloAreRefusedWithEperm() throws Exception {
        try (RawClient c = connect()) {
            c.send(new Frame(FrameType.HYPERCALL, 4, HypercallFrame.encode(99)));
            Frame e = c.read();
            assertEquals(FrameType.ERROR, e.type());
            assertEquals(4, e.requestId());
            assertEquals(-XenErrno.EPERM, e.error().errno());
            c.send(new Frame(FrameType.HELLO, 5, Hello.encode(Hello.ROLE_TOOLSTACK, 1, 0, null, 0, 0, null)));
            assertEquals(0, ackStatus(c.read()));
            c.send(new Frame(FrameType.HELLO, 6, Hello.encode(Hello.ROLE_TOOLSTACK, 1, 0, null, 0, 0, null)));
            assertEquals(-XenErrno.EINVAL, c.read().error().errno(), "duplicate HELLO");
            c.send(new Frame(FrameType.HELLO_ACK, 7, HelloAck.encode(0, 0, 0, "")));
            assertEquals(-XenErrno.EINVAL, c.read().error().errno(), "hypervisor-to-client type from a client");
        }
    }

    @Test
    void helloAckReportsRunDirAndHostPages() throws Exception {
        try (RawClient c = connect()) {
            c.send(new Frame(FrameType.HELLO, 1, Hello.encode(Hello.ROLE_TOOLSTACK, 2, 0, null, 0, 0, null)));
            HelloAck a = new HelloAck().wrap(c.read().payload());
            assertEquals(0, a.status());
            assertEquals(64 * 256, a.nrFrames());
            assertEquals(HelloAck.XEN_VERSION_4_12, a.xenVersion());
            assertEquals(hv.dir().toAbsolutePath().toString(), a.runDir());
        }
    }

    @Test
    void refusedHandshakesAnswerTheirErrnoAndClose() throws Exception {
        addDomain(7);
        Object[][] cases = {
                {Hello.encode(Hello.ROLE_GUEST, 1, 7, "wrong-secret-xxx".getBytes(), 0, 0, null), -XenErrno.EACCES},
                {Hello.encode(Hello.ROLE_GUEST, 1, 8, SECRET, 0, 0, null), -XenErrno.ESRCH},
                {Hello.encode(3, 1, 0, null, 0, 0, null), -XenErrno.EOPNOTSUPP},
                {Hello.encode(Hello.ROLE_TOOLSTACK, 9, 0, null, 0, 0, null), -XenErrno.EOPNOTSUPP},
                {Hello.encode(Hello.ROLE_TOOLSTACK, 1, 0, null, 0x10000, 4096, hv.dir().resolve("missing").toString()), -XenErrno.EINVAL},
                {Hello.encode(Hello.ROLE_TOOLSTACK, 1, 0, null, 0x10001, 4096, hv.dir().toString()), -XenErrno.EINVAL},
        };
        for (Object[] c : cases) {
            try (RawClient rc = connect()) {
                rc.send(new Frame(FrameType.HELLO, 1, (byte[]) c[0]));
                assertEquals((long) (int) c[1], ackStatus(rc.read()));
                assertTrue(rc.closedByServer());
            }
        }
    }

    @Test
    void guestHandshakeAndFaultsCompletedLater() throws Exception {
        addDomain(3);
        AtomicReference<long[]> seen = new AtomicReference<>();
        hv.core().faultHandler((d, gfn, write, vcpu, reply) -> {
            seen.set(new long[]{d.domid(), gfn, write ? 1 : 0, vcpu});
            // resolved later, by another task on the dispatch thread (as a page-in would be)
            hv.core().dispatcher().execute(() -> { if (gfn == 0x42) reply.resolved(); else reply.failed(-XenErrno.EFAULT, "test"); });
        });
        try (RawClient g = connect()) {
            g.send(new Frame(FrameType.HELLO, 1, Hello.encode(Hello.ROLE_GUEST, 1, 3, SECRET, 0, 0, null)));
            Frame ack = g.read();
            assertEquals(0, ackStatus(ack));
            assertEquals(3, new HelloAck().wrap(ack.payload()).domid());
            g.send(new Frame(FrameType.MEM_FAULT, 11, MemFault.encode(0x42, true, 1)));
            Frame done = g.read();
            assertEquals(FrameType.FAULT_DONE, done.type());
            assertEquals(11, done.requestId());
            assertEquals(0, done.status());
            assertArrayEquals(new long[]{3, 0x42, 1, 1}, seen.get());
            g.send(new Frame(FrameType.MEM_FAULT, 12, MemFault.encode(0x43, false, 0)));
            assertEquals(-XenErrno.EFAULT, g.read().status());
            g.send(new Frame(FrameType.MEM_FAULT, 13, new byte[]{0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0}));
            assertEquals(-XenErrno.EINVAL, g.read().error().errno(), "access 3 is neither read nor write");
        }
        try (RawClient t = toolstack()) {
            t.send(new Frame(FrameType.MEM_FAULT, 2, MemFault.encode(1, false, 0)));
            assertEquals(-XenErrno.EPERM, t.read().error().errno());
        }
    }

    @Test
    void pipelinedHypercallsAreAnsweredInRequestOrder() throws Exception {
        hv.core().registerHypercall(40, (c, a) -> a[0] * 2);
        try (RawClient t = toolstack()) {
            int n = 200;
            byte[][] frames = new byte[n][];
            for (int i = 0; i < n; i++) frames[i] = new Frame(FrameType.HYPERCALL, 1000 + i, HypercallFrame.encode(40, i)).encode();
            for (byte[] f : frames) t.raw(f);
            for (int i = 0; i < n; i++) {
                Frame r = t.read();
                assertEquals(FrameType.HYPERCALL_RET, r.type());
                assertEquals(1000 + i, r.requestId());
                assertEquals(2L * i, r.status());
            }
        }
    }

    @Test
    void aFloodOfPipelinedRequestsIsThrottledThenFullyAnswered() throws Exception {
        hv.core().registerHypercall(40, (c, a) -> a[0]);
        int n = 50_000; // 1.6 MB of replies: far more than the socket and the write-buffer high-water mark hold
        try (RawClient t = toolstack()) {
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; i < n; i++) t.send(new Frame(FrameType.HYPERCALL, i + 1, HypercallFrame.encode(40, i)));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            writer.start();
            // the client reads nothing yet: its replies pile up until the server stops serving and reading it
            while (hv.server().stats().writePauses == 0) Thread.sleep(10);
            for (int i = 0; i < n; i++) {
                Frame r = t.read();
                assertEquals(i + 1, r.requestId());
                assertEquals(i, r.status());
            }
            writer.join(30_000);
            assertFalse(writer.isAlive());
        }
    }

    @Test
    void eventChannelsBothWays() throws Exception {
        CountDownLatch kicked = new CountDownLatch(1);
        hv.core().registerHypercall(41, (c, a) -> hv.core().eventChannels().allocate(5, c.peer(), port -> {
            assertTrue(hv.core().onDispatchThread());
            kicked.countDown();
        }));
        try (RawClient t = toolstack(); RawClient other = toolstack()) {
            t.send(new Frame(FrameType.HYPERCALL, 2, HypercallFrame.encode(41)));
            int port = (int) t.read().status();
            assertTrue(port > 0);
            hv.core().dispatcher().execute(() -> hv.core().eventChannels().notifyRemote(port));
            Frame ev = t.read();
            assertEquals(FrameType.EVTCHN_SEND, ev.type());
            assertEquals(0, ev.requestId(), "unsolicited frames carry id 0");
            assertEquals(port, new EvtchnSend().wrap(ev.payload()).port());
            t.send(new Frame(FrameType.EVTCHN_SEND, 3, EvtchnSend.encode(port)));
            assertTrue(kicked.await(30, TimeUnit.SECONDS));
            t.send(new Frame(FrameType.EVTCHN_SEND, 4, EvtchnSend.encode(port + 100)));
            Frame err = t.read();
            assertEquals(4, err.requestId());
            assertEquals(-XenErrno.EINVAL, err.error().errno());
            other.send(new Frame(FrameType.EVTCHN_SEND, 5, EvtchnSend.encode(port)));
            assertEquals(-XenErrno.EPERM, other.read().error().errno(), "only the port's remote may notify it");
        }
    }

    @Test
    void guestsHearTheirDomainCrash() throws Exception {
        Domain d = addDomain(4);
        try (RawClient g = connect()) {
            g.send(new Frame(FrameType.HELLO, 1, Hello.encode(Hello.ROLE_GUEST, 1, 4, SECRET, 0, 0, null)));
            assertEquals(0, ackStatus(g.read()));
            // the registration happens on the dispatch thread before the ACK, so the crash is seen
            hv.core().dispatcher().submit(() -> hv.core().domains().crash(d, "Dom4 out of PoD memory!")).get();
            Frame ev = g.read();
            assertEquals(FrameType.DOMAIN_EVENT, ev.type());
            DomainEvent de = new DomainEvent().wrap(ev.payload());
            assertEquals(DomainEvent.CRASHED, de.event());
            assertEquals("Dom4 out of PoD memory!", de.text());
        }
    }

    @Test
    void serverKeepsServingAfterAClientSendsGarbage() throws Exception {
        try (RawClient bad = connect()) {
            bad.raw("this is not a frame".getBytes());
            Frame e = bad.read();
            assertEquals(-XenErrno.EBADMSG, e.error().errno());
            assertTrue(bad.closedByServer());
        }
        try (RawClient t = toolstack()) {
            t.send(new Frame(FrameType.HYPERCALL, 9, HypercallFrame.encode(63, 1, 2, 3, 4, 5)));
            assertEquals(-XenErrno.ENOSYS, t.read().status());
            t.send(new Frame(FrameType.HYPERCALL, 10, HypercallFrame.encode(-1)));
            assertEquals(-XenErrno.ENOSYS, t.read().status(), "out-of-table numbers too");
        }
    }
}
