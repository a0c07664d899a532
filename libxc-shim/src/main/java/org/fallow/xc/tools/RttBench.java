package org.fallow.xc.tools;

import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import org.HdrHistogram.Histogram;
import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameHeader;
import org.fallow.abi.wire.FrameType;
import org.fallow.abi.wire.Hello;
import org.fallow.abi.wire.HypercallFrame;
import org.fallow.abi.wire.StatusFrame;
import org.fallow.abi.process.HypervisorProcess;
import org.fallow.abi.sys.Poller;
import org.fallow.abi.sys.SpinPolicy;
import org.fallow.xc.transport.HypervisorConnection;
import org.fallow.xc.tools.InterleavedRounds.Row;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

import static org.fallow.xc.tools.InterleavedRounds.pairedRatio;

/**
 * {@code fallow bench rtt}: the null-hypercall round trip beside a raw Unix-socket ping-pong of the same frame sizes
 * (72-byte request, 32-byte reply), measured in the same run. The null hypercall is an empty multicall
 * ({@code multicall(NULL, 0)} returns 0 at once). Rows:
 * <ol>
 * <li>raw UDS ping-pong: JNR client ↔ an echo thread (JDK UDS) in this process;</li>
 * <li>the same against an echo process ({@link UdsEcho}), and against one that polls before it blocks, with a client
 * that does too (the hypervisor's and its clients' way of waiting);</li>
 * <li>null hypercall, raw frames: JNR client writes HYPERCALL frames and reads HYPERCALL_RET itself (no client threads);</li>
 * <li>null hypercall via {@link HypervisorConnection#hypercall} (the calling thread reads its own reply);</li>
 * <li>the same with an event listener registered ({@link HypervisorConnection#onEvent}), as every simulated guest has:
 * the connection then also watches the socket for unsolicited frames between calls;</li>
 * <li>pipelined throughput: {@code --window} hypercalls in flight through {@link HypervisorConnection#hypercallAsync}.</li>
 * </ol>
 * The latency rows are open together and measured in {@code --blocks} interleaved blocks ({@link InterleavedRounds}):
 * every row meets the same host conditions, and each hypercall row's ratio to a floor is the median over the blocks of
 * its p50 / the floor's p50 in the same block (issue 16's goal: <= 1.3x). The rows run twice: unpinned, then with this
 * JVM, the echo processes and the hypervisor pinned to one core ({@code taskset -a -p}).
 */
@Command(name = "rtt", mixinStandardHelpOptions = true,
        description = "Null-hypercall round trip vs a raw Unix-socket ping-pong of the same frame sizes.")
public final class RttBench implements Callable<Integer> {
    private static final int REQUEST_BYTES = FrameHeader.LENGTH + HypercallFrame.LENGTH;
    private static final int REPLY_BYTES = FrameHeader.LENGTH + StatusFrame.LENGTH;

    // deliberately not --socket: the cli propagates its global --socket default to subcommands with that option
    @Option(names = "--connect", paramLabel = "SOCKET",
            description = "Use the running hypervisor at this socket (default: start one in a child JVM).")
    Path socket;

    @Option(names = {"-n", "--iterations"}, defaultValue = "100000", description = "Measured round trips per row (default ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--warmup", defaultValue = "30000", description = "Unmeasured round trips per row first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--window", defaultValue = "32", description = "Requests in flight for the pipelined row (default ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--pin", defaultValue = "0", paramLabel = "CPU",
            description = "CPU for the pinned pass (default ${DEFAULT-VALUE}); -1 skips the pinned pass.")
    int pinCpu;

    @Option(names = "--blocks", defaultValue = "10",
            description = "Blocks the measured round trips of each row are cut into; the rows take turns block by block (default ${DEFAULT-VALUE}).")
    int blocks;

    private Process echo, pollingEcho;

    private void printHandedOff(long handedOff) {
        System.out.printf("  (replies read by another thread than their caller: %d of %d)%n", handedOff, warmup + iterations);
    }

    @Override public Integer call() throws Exception {
        if (warmup < 0 || blocks < 1 || iterations < blocks || window < 1)
            throw new IllegalArgumentException("--warmup must be >= 0, --blocks and --window >= 1, --iterations >= --blocks");
        try (BenchHypervisor hv = BenchHypervisor.connectOrStart(socket, "flb")) {
            Path sock = hv.socket(), dir = hv.scratch();
            try {
                System.out.printf("frames: request %d B, reply %d B; %d warm-up + %d measured round trips per row, the rows taking turns in %d blocks%n",
                        REQUEST_BYTES, REPLY_BYTES, warmup, iterations, blocks);
                System.out.printf("load average at start: %s%n", loadAverage());
                echo = UdsEcho.start(dir.resolve("echo-x.sock"), REQUEST_BYTES, REPLY_BYTES); // the cross-process floor
                pollingEcho = UdsEcho.start(dir.resolve("echo-p.sock"), REQUEST_BYTES, REPLY_BYTES, true);
                System.out.printf("poll before block: %s (SpinPolicy: up to %d µs while this thread may use 2+ CPUs and nothing waits for one)%n",
                        SpinPolicy.system().windowNanos() == 0 ? "off (-Dfallow.spinMicros=0)" : "on", SpinPolicy.system().windowNanos() / 1000);
                pass("unpinned", sock, dir);
                if (pinCpu >= 0) {
                    long[] pids = hv.started() ? new long[] {ProcessHandle.current().pid(), hv.pid(), echo.pid(), pollingEcho.pid()}
                            : new long[] {ProcessHandle.current().pid(), echo.pid(), pollingEcho.pid()};
                    String all = allCpus();
                    if (pin(String.valueOf(pinCpu), pids)) {
                        try {
                            pass("pinned to CPU " + pinCpu + (!hv.started() ? " (this JVM only: --connect)" : ""), sock, dir);
                        } finally {
                            pin(all, pids);
                        }
                    } else {
                        System.out.println("(pinned pass skipped: taskset failed)");
                    }
                }
                return 0;
            } finally {
                if (echo != null) UdsEcho.stop(echo); // before the scratch directory goes
                if (pollingEcho != null) UdsEcho.stop(pollingEcho);
            }
        }
    }

    /**
     * One pass: the six latency rows open at once and measured in interleaved blocks ({@link InterleavedRounds}), then
     * the pipelined row; the hypercall rows' p50 as ratios to the floors' (the median of the blocks' ratios).
     */
    private void pass(String title, Path sock, Path dir) throws Exception {
        System.out.printf("%n%s%n", title);
        System.out.printf("%-44s %9s %9s %9s %9s %12s %9s%n", "row", "p50 µs", "p99 µs", "p99.9 µs", "max µs", "ops/s", "p50/raw");
        Files.deleteIfExists(dir.resolve("echo.sock"));
        try (EchoThread echoThread = new EchoThread(dir.resolve("echo.sock"));
             UnixSocketChannel toEchoThread = connect(dir.resolve("echo.sock"));
             UnixSocketChannel toEchoProcess = connect(dir.resolve("echo-x.sock"));
             SocketChannel toPollingEcho = SocketChannel.open(UnixDomainSocketAddress.of(dir.resolve("echo-p.sock")));
             Selector readable = Selector.open();
             UnixSocketChannel toHypervisor = connect(sock);
             HypervisorConnection conn = HypervisorConnection.toolstack(sock, sock.toAbsolutePath().getParent(), AbiProfile.XEN_4_12, 4096);
             HypervisorConnection listening = HypervisorConnection.toolstack(sock, sock.toAbsolutePath().getParent(), AbiProfile.XEN_4_12, 4096)) {
            listening.onEvent(port -> { }); // no events arrive: the row measures what listening costs a call
            Row raw = new Row("raw UDS ping-pong (JNR <-> echo thread)", rawTrip(toEchoThread));
            Row rawX = new Row("raw UDS ping-pong (JNR <-> echo process)", rawTrip(toEchoProcess));
            Row rawP = new Row("raw UDS ping-pong, both polling (echo proc.)", pollingTrip(toPollingEcho, readable));
            Row frames = new Row("null hypercall, raw frames over JNR", hypercallFrames(toHypervisor));
            Row direct = new Row("null hypercall, HypervisorConnection", connectionTrip(conn));
            Row events = new Row("null hypercall, HypervisorConnection+events", connectionTrip(listening));
            new InterleavedRounds(System::nanoTime).run(List.of(raw, rawX, rawP, frames, direct, events), warmup, iterations, blocks);
            for (Row r : List.of(raw, rawX, rawP, frames, direct)) report(r, raw);
            printHandedOff(conn.handedOffReplies());
            report(events, raw);
            printHandedOff(listening.handedOffReplies());
            for (Row r : List.of(raw, rawX, rawP, frames, direct, events)) System.out.print(blocksLine(r));
            writeAll(toHypervisor, ByteBuffer.wrap(Frame.of(FrameType.BYE, 0).encode()));
            pipelined(sock, dir);
            System.out.printf("ratios below: the median over the %d blocks of (row p50 / floor p50) in the same block%n", blocks);
            System.out.printf("ratio p50 to the echo thread (goal <= 1.3): raw frames %.2fx, HypervisorConnection %.2fx, +events %.2fx%n",
                    pairedRatio(frames, raw), pairedRatio(direct, raw), pairedRatio(events, raw));
            System.out.printf("ratio p50 to the echo process (goal <= 1.3): raw frames %.2fx, HypervisorConnection %.2fx, +events %.2fx%n",
                    pairedRatio(frames, rawX), pairedRatio(direct, rawX), pairedRatio(events, rawX));
            System.out.printf("ratio p50 to the polling echo process (the same poll-before-block at both ends): HypervisorConnection %.2fx, +events %.2fx%n",
                    pairedRatio(direct, rawP), pairedRatio(events, rawP));
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String allCpus() { return "0-" + (Runtime.getRuntime().availableProcessors() - 1); }

    /** Sets the CPU affinity of every thread of each process ({@code taskset -a -p -c}). */
    private static boolean pin(String cpus, long... pids) {
        boolean ok = true;
        for (long pid : pids) {
            try {
                Process p = new ProcessBuilder("taskset", "-a", "-p", "-c", cpus, Long.toString(pid))
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                ok &= p.waitFor() == 0;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return ok;
    }

    private static void report(Row r, Row floor) {
        Histogram h = r.histogram();
        System.out.printf("%-44s %9.1f %9.1f %9.1f %9.1f %12.0f %8.2fx%n", r.name,
                h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3,
                h.getMaxValue() / 1e3, r.opsPerSecond(), r.p50() / floor.p50());
    }

    /** "ROW, p50 µs of each block: a b c ...": the spread behind a row's figure, block by block. */
    static String blocksLine(Row r) {
        StringBuilder sb = new StringBuilder(r.name).append(", p50 µs of each block:");
        for (int b = 0; b < r.blocks(); b++) sb.append(String.format(java.util.Locale.ROOT, " %.1f", r.blockP50(b)));
        return sb.append(System.lineSeparator()).toString();
    }

    private static UnixSocketChannel connect(Path socket) throws IOException {
        return UnixSocketChannel.open(new UnixSocketAddress(socket.toFile()));
    }

    private static void writeAll(UnixSocketChannel ch, ByteBuffer b) throws IOException {
        b.rewind();
        while (b.hasRemaining()) ch.write(b);
    }

    private static void readAll(UnixSocketChannel ch, ByteBuffer b) throws IOException {
        b.clear();
        while (b.hasRemaining()) if (ch.read(b) < 0) throw new IOException("peer closed");
    }

    /** Row 1's server: a trivial echo in a thread of this process (reads 72 bytes, answers 32), one connection. */
    private static final class EchoThread implements AutoCloseable {
        private final ServerSocketChannel server;
        private final Thread thread;

        EchoThread(Path socket) throws IOException {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
            thread = new Thread(() -> {
                try (SocketChannel c = server.accept()) {
                    ByteBuffer in = ByteBuffer.allocateDirect(REQUEST_BYTES);
                    ByteBuffer out = ByteBuffer.allocateDirect(REPLY_BYTES);
                    while (true) {
                        in.clear();
                        while (in.hasRemaining()) if (c.read(in) < 0) return;
                        out.clear();
                        while (out.hasRemaining()) c.write(out);
                    }
                } catch (IOException ignored) {
                    // client went away
                }
            }, "echo");
            thread.setDaemon(true);
            thread.start();
        }

        /** Closes the listening socket; the thread ends when its client has closed (closed before this). */
        @Override public void close() throws IOException {
            server.close();
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The raw rows' round trip over JNR: writes a 72-byte request, reads a 32-byte reply. */
    private static InterleavedRounds.RoundTrip rawTrip(UnixSocketChannel ch) {
        ByteBuffer req = direct(nullHypercall(1));
        ByteBuffer rep = ByteBuffer.allocateDirect(REPLY_BYTES);
        return () -> {
            writeAll(ch, req);
            readAll(ch, rep);
        };
    }

    /**
     * The polling floor's round trip (JDK socket, non-blocking): writes a 72-byte request and reads the 32-byte reply as
     * the hypervisor's clients wait for theirs, polling first when the machine's {@link SpinPolicy} allows
     * ({@link UdsEcho#readPolling}); its echo process polls the same way.
     */
    private static InterleavedRounds.RoundTrip pollingTrip(SocketChannel ch, Selector readable) throws IOException {
        ch.configureBlocking(false);
        ch.register(readable, SelectionKey.OP_READ);
        ByteBuffer req = direct(nullHypercall(1));
        ByteBuffer rep = ByteBuffer.allocateDirect(REPLY_BYTES);
        Poller poller = new Poller(SpinPolicy.system());
        return () -> {
            req.rewind();
            for (int spins = 0; req.hasRemaining(); spins++) {
                if (ch.write(req) == 0 && spins > 1_000_000) throw new IOException("echo does not read");
            }
            rep.clear();
            while (rep.hasRemaining()) if (UdsEcho.readPolling(ch, rep, readable, poller) < 0) throw new IOException("peer closed");
        };
    }

    /**
     * The raw rows' buffers are direct, as HypervisorConnection's: JNR then passes the kernel their address, so the
     * floor is the cheapest use of the same client library (one write(2) and one read(2) per round trip).
     */
    private static ByteBuffer direct(byte[] bytes) {
        return ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
    }

    private static byte[] nullHypercall(long id) {
        return new Frame(FrameType.HYPERCALL, id, HypercallFrame.encode(Hypercalls.MULTICALL, 0, 0)).encode();
    }

    /** Row 4: HELLO, then the measuring thread writes HYPERCALL frames and reads each HYPERCALL_RET itself. */
    private static InterleavedRounds.RoundTrip hypercallFrames(UnixSocketChannel ch) throws IOException {
        byte[] hello = new Frame(FrameType.HELLO, 1, Hello.encode(Hello.ROLE_TOOLSTACK, 1, 0, null, 0, 0, null)).encode();
        writeAll(ch, ByteBuffer.wrap(hello));
        ByteBuffer hdr = ByteBuffer.allocate(FrameHeader.LENGTH);
        readAll(ch, hdr);
        FrameHeader h = new FrameHeader().wrap(hdr.array());
        readAll(ch, ByteBuffer.allocate((int) h.length()));
        ByteBuffer req = direct(nullHypercall(2));
        ByteBuffer rep = ByteBuffer.allocateDirect(REPLY_BYTES);
        StatusFrame status = new StatusFrame().wrap(java.lang.foreign.MemorySegment.ofBuffer(rep), FrameHeader.LENGTH);
        return () -> {
            writeAll(ch, req);
            readAll(ch, rep);
            if (status.value() != 0) throw new IOException("null hypercall failed");
        };
    }

    /** Rows 5 and 6: the client library's synchronous call (the calling thread reads its own reply). */
    private static InterleavedRounds.RoundTrip connectionTrip(HypervisorConnection c) {
        return () -> {
            if (c.hypercall(Hypercalls.MULTICALL, 0, 0) != 0) throw new IOException("null hypercall failed");
        };
    }

    /** Row 7: throughput with {@code window} requests in flight. */
    private void pipelined(Path sock, Path dir) throws Exception {
        try (HypervisorConnection c = HypervisorConnection.toolstack(sock, sock.toAbsolutePath().getParent(), AbiProfile.XEN_4_12, 4096)) {
            ArrayDeque<CompletableFuture<Long>> inflight = new ArrayDeque<>();
            int total = warmup + iterations;
            long start = 0;
            for (int i = 0; i < total; i++) {
                if (i == warmup) {
                    while (!inflight.isEmpty()) inflight.poll().get();
                    start = System.nanoTime();
                }
                if (inflight.size() >= window) inflight.poll().get();
                inflight.add(c.hypercallAsync(Hypercalls.MULTICALL, 0, 0));
            }
            while (!inflight.isEmpty()) inflight.poll().get();
            double secs = (System.nanoTime() - start) / 1e9;
            System.out.printf("%-44s %9s %9s %9s %9s %12.0f %9s%n", "null hypercall, pipelined (window " + window + ")",
                    "-", "-", "-", "-", iterations / secs, "-");
        }
    }
}
