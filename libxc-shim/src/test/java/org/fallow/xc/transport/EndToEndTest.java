package org.fallow.xc.transport;

import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.abi.wire.ErrorFrame;
import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameHeader;
import org.fallow.abi.wire.FrameType;
import org.fallow.abi.wire.Hello;
import org.fallow.abi.wire.HypercallFrame;
import org.fallow.xc.XcHandle;
import org.fallow.abi.process.HypervisorProcess;
import org.fallow.abi.xen.MulticallEntry;
import org.fallow.abi.xen.XenSysctl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.junit.jupiter.api.Assertions.*;

/** Client and hypervisor in separate processes over a real Unix socket. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EndToEndTest {
    private static Path dir;
    private static HypervisorProcess hv;

    @BeforeAll
    static void startHypervisor() throws IOException {
        hv = HypervisorProcess.startInTempDir("fl", "--host-mem", "128");
        dir = hv.runDir();
    }

    @AfterAll
    static void stopHypervisor() throws IOException {
        if (hv == null) return;
        hv.stop();
        assertFalse(Files.exists(hv.socket()), "the hypervisor removes its socket on SIGTERM:\n" + hv.logText());
        hv.deleteRunDir();
    }

    private static XcHandle xc() throws IOException { return XcHandle.open(hv.socket(), AbiProfile.XEN_4_12); }

    @Test
    void handshakeAndUnknownHypercall() throws IOException {
        try (XcHandle xc = xc()) {
            assertEquals(128 * 256, xc.connection().nrFrames(), "toolstack HELLO_ACK reports host pages");
            assertEquals(dir.toAbsolutePath(), xc.connection().runDir());
            assertEquals(-XenErrno.ENOSYS, xc.hypercall(0));
            assertEquals(-XenErrno.ENOSYS, xc.hypercall(63, 1, 2, 3, 4, 5));
        }
        assertTrue(hv.logText().contains("unknown hypercall 63 args [0x1, 0x2, 0x3, 0x4, 0x5]"), "logged with raw args");
    }

    @Test
    void pipelinedHypercalls() throws Exception {
        try (XcHandle xc = xc()) {
            List<CompletableFuture<Long>> fs = new ArrayList<>();
            for (int i = 0; i < 300; i++) fs.add(xc.connection().hypercallAsync(60 + (i % 3), i));
            for (CompletableFuture<Long> f : fs) assertEquals(-XenErrno.ENOSYS, f.get(60, TimeUnit.SECONDS));
        }
    }

    @Test
    void manyThreadsShareOneConnection() throws Exception {
        try (XcHandle xc = xc()) {
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 4; t++) {
                Thread th = new Thread(() -> {
                    try {
                        for (int i = 0; i < 250; i++) {
                            // an empty multicall returns 0; an unknown hypercall -ENOSYS: answers must not be mixed up
                            assertEquals(0, xc.hypercall(Hypercalls.MULTICALL, 0, 0));
                            assertEquals(-XenErrno.ENOSYS, xc.hypercall(58, i));
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
                threads.add(th);
                th.start();
            }
            for (Thread th : threads) th.join();
            assertEquals(List.of(), failures);
        }
    }

    @Test
    void multicallOfThreeEntriesWritesEachResultInPlace() throws IOException {
        try (XcHandle xc = xc();
             HypercallBuffer.Buf list = xc.buffers().allocate(3 * MulticallEntry.SIZE);
             HypercallBuffer.Buf sysctl = xc.buffers().allocate(XenSysctl.SIZE)) {
            new XenSysctl().wrap(sysctl.segment(), 0).cmd(24).interfaceVersion(0x0F); // wrong version
            MemorySegment m = list.segment();
            MulticallEntry e = new MulticallEntry();
            e.wrap(m, 0).op(62);                                          // unknown hypercall
            e.wrap(m, MulticallEntry.SIZE).op(Hypercalls.MULTICALL);      // nested multicall
            e.wrap(m, 2 * MulticallEntry.SIZE).op(Hypercalls.SYSCTL).args(0, sysctl.handle());
            for (int i = 0; i < 3; i++) e.wrap(m, i * MulticallEntry.SIZE).result(0x5555);
            assertEquals(0, xc.hypercall(Hypercalls.MULTICALL, list.handle(), 3));
            assertEquals(-XenErrno.ENOSYS, e.wrap(m, 0).result());
            assertEquals(-XenErrno.EINVAL, e.wrap(m, MulticallEntry.SIZE).result());
            assertEquals(-XenErrno.EACCES, e.wrap(m, 2 * MulticallEntry.SIZE).result());
            assertEquals(-XenErrno.EFAULT, xc.hypercall(Hypercalls.MULTICALL, list.handle() + xc.buffers().size(), 1),
                    "a list outside the arena faults");
        }
    }

    @Test
    void controlOpsThroughTheArena() throws IOException {
        try (XcHandle xc = xc()) {
            MemorySegment domctl = MemorySegment.ofArray(new byte[144]);
            domctl.set(U32_UNALIGNED, 0, 0x7FFF);
            assertEquals(-XenErrno.ENOSYS, xc.domctl(domctl), "unknown domctl cmd");
            assertEquals(0x11, domctl.get(U32_UNALIGNED, org.fallow.abi.xen.XenDomctl.INTERFACE_VERSION_OFFSET), "libxc sets interface_version");
            assertEquals(-XenErrno.EFAULT, xc.hypercall(Hypercalls.DOMCTL, 0), "NULL handle");
            assertEquals(-XenErrno.EFAULT, xc.hypercall(Hypercalls.SYSCTL, xc.buffers().base() - 4096));
        }
    }

    @Test
    void aTruncatedArenaFaultsInsteadOfCrashingTheHypervisor() throws IOException {
        try (XcHandle xc = xc()) {
            try (var fc = java.nio.channels.FileChannel.open(xc.buffers().file(), java.nio.file.StandardOpenOption.WRITE)) {
                fc.truncate(0); // the hypervisor's mapping of the arena now raises SIGBUS on access
            }
            assertEquals(-XenErrno.EFAULT, xc.hypercall(Hypercalls.DOMCTL, xc.buffers().base()));
        }
        serverStillServes();
    }

    @Test
    void xenstoreWriteReadWatch() throws Exception {
        try (XcHandle a = xc(); XcHandle b = xc()) {
            LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();
            b.xenstore().watch("/local/domain/9/memory", "pager", events::add);
            assertEquals("/local/domain/9/memory", events.poll(30, TimeUnit.SECONDS), "fires once on registration");
            a.xenstore().write("/local/domain/9/memory/target-tot_pages", "65536");
            assertEquals("/local/domain/9/memory/target-tot_pages", events.poll(30, TimeUnit.SECONDS));
            assertEquals("65536", b.xenstore().read("/local/domain/9/memory/target-tot_pages"));
            assertEquals(List.of("target-tot_pages"), a.xenstore().directory("/local/domain/9/memory"));
            XsClient.XsException e = assertThrows(XsClient.XsException.class, () -> a.xenstore().read("/local/domain/9/nope"));
            assertEquals("ENOENT", e.errnoName());
            assertNull(a.xenstore().readOrNull("/nope"));
            b.xenstore().unwatch("/local/domain/9/memory", "pager");
            a.xenstore().rm("/local/domain/9");
            assertNull(a.xenstore().readOrNull("/local/domain/9/memory/target-tot_pages"));
        }
    }

    @Test
    void guestOfAnUnknownDomainIsRefused() {
        WireErrorException e = assertThrows(WireErrorException.class,
                () -> HypervisorConnection.guest(hv.socket(), 77, new byte[16], AbiProfile.XEN_4_12));
        assertEquals(-XenErrno.ESRCH, e.errno());
    }

    // ---- malformed input over a raw JNR socket --------------------------------------------------------------------

    private static UnixSocketChannel raw() throws IOException {
        return UnixSocketChannel.open(new UnixSocketAddress(hv.socket().toFile()));
    }

    private static void write(UnixSocketChannel ch, byte[] b) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b);
        while (buf.hasRemaining()) ch.write(buf);
    }

    private static Frame read(UnixSocketChannel ch) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(24);
        fill(ch, h);
        FrameHeader hdr = new FrameHeader().wrap(h.array());
        ByteBuffer p = ByteBuffer.allocate((int) hdr.length());
        fill(ch, p);
        return new Frame(hdr.type(), hdr.requestId(), p.array());
    }

    private static void fill(UnixSocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) if (ch.read(b) < 0) throw new EOFException();
    }

    private static boolean eof(UnixSocketChannel ch) throws IOException {
        return ch.read(ByteBuffer.allocate(1)) < 0;
    }

    private static byte[] hello() {
        return new Frame(FrameType.HELLO, 1, Hello.encode(Hello.ROLE_TOOLSTACK, 1, 0, null, 0, 0, null)).encode();
    }

    /** After each bad client, a fresh client still gets served. */
    private static void serverStillServes() throws IOException {
        try (XcHandle xc = xc()) {
            assertEquals(-XenErrno.ENOSYS, xc.hypercall(61));
        }
    }

    @Test
    void fatalMalformedFramesGetTheirErrorThenClose() throws IOException {
        byte[] oversize = Frame.of(FrameType.HYPERCALL, 5).encode();
        new FrameHeader().wrap(oversize).length(FrameHeader.MAX_PAYLOAD + 1);
        byte[] badVersion = Frame.of(FrameType.BYE, 6).encode();
        new FrameHeader().wrap(badVersion).version(9);
        Object[][] cases = {
                {"SSH-2.0-OpenSSH_9.6\r\n".getBytes(), -XenErrno.EBADMSG},
                {oversize, -XenErrno.EMSGSIZE},
                {badVersion, -XenErrno.EOPNOTSUPP},
        };
        for (Object[] c : cases) {
            try (UnixSocketChannel ch = raw()) {
                write(ch, (byte[]) c[0]);
                Frame f = read(ch);
                assertEquals(FrameType.ERROR, f.type());
                ErrorFrame e = f.error();
                assertEquals((int) c[1], e.errno(), e.text());
                assertFalse(e.text().isEmpty());
                assertTrue(eof(ch), "connection closed after a fatal framing error");
            }
            serverStillServes();
        }
    }

    @Test
    void nonFatalMalformedFramesKeepTheConnection() throws IOException {
        try (UnixSocketChannel ch = raw()) {
            write(ch, hello());
            assertEquals(FrameType.HELLO_ACK, read(ch).type());
            byte[] unknownType = Frame.of(FrameType.BYE, 21).encode();
            new FrameHeader().wrap(unknownType).type(200);
            byte[] shortCall = new Frame(FrameType.HYPERCALL, 22, new byte[47]).encode();
            byte[] flags = new Frame(FrameType.HYPERCALL, 23, HypercallFrame.encode(1)).encode();
            new FrameHeader().wrap(flags).flags(4);
            byte[] good = new Frame(FrameType.HYPERCALL, 24, HypercallFrame.encode(59)).encode();
            write(ch, unknownType);
            Frame e1 = read(ch);
            assertEquals(21, e1.requestId());
            assertEquals(-XenErrno.ENOSYS, e1.error().errno());
            write(ch, shortCall);
            Frame e2 = read(ch);
            assertEquals(22, e2.requestId());
            assertEquals(-XenErrno.EINVAL, e2.error().errno());
            write(ch, flags);
            assertEquals(-XenErrno.EINVAL, read(ch).error().errno());
            write(ch, good);
            Frame ret = read(ch);
            assertEquals(FrameType.HYPERCALL_RET, ret.type());
            assertEquals(24, ret.requestId());
            assertEquals(-XenErrno.ENOSYS, ret.status());
        }
    }

    @Test
    void truncatedFrameIsLoggedAndTheServerKeepsServing() throws Exception {
        try (UnixSocketChannel ch = raw()) {
            write(ch, hello());
            assertEquals(FrameType.HELLO_ACK, read(ch).type());
            byte[] call = new Frame(FrameType.HYPERCALL, 31, HypercallFrame.encode(38)).encode();
            write(ch, java.util.Arrays.copyOf(call, 40));
        }
        serverStillServes();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!hv.logText().contains("closed mid-frame") && System.nanoTime() < deadline) Thread.sleep(50);
        assertTrue(hv.logText().contains("closed mid-frame (40 bytes of 72 bytes)"), hv.logText());
    }
}
