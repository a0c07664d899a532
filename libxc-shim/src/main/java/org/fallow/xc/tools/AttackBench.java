package org.fallow.xc.tools;

import org.fallow.abi.xen.MemoryOpConstants;
import org.HdrHistogram.Histogram;
import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameHeader;
import org.fallow.abi.wire.FrameType;
import org.fallow.abi.wire.Hello;
import org.fallow.abi.wire.HypercallFrame;
import org.fallow.abi.wire.XsSockMsg;
import org.fallow.abi.xen.MulticallEntry;
import org.fallow.abi.process.HypervisorProcess;
import org.fallow.xc.transport.HypervisorConnection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.EOFException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;

/**
 * {@code fallow bench attack}: another client's round trip while a hostile client attacks the hypervisor (issue 14).
 * The victim is a toolstack {@link HypervisorConnection} issuing null hypercalls (an empty multicall); its p50/p99 are
 * measured quiet, then under each attack in turn, and printed as a ratio to the quiet value (goal: p99 within 10x).
 * Each attack runs in a child JVM ({@link AttackerMain}) with its own connections, as a hostile guest would be its
 * own process: its CPU use competes with the victim on the machine, but its threads and garbage do not share the
 * victim's JVM. Attacks:
 * <ul>
 * <li>{@code no-read}: pipelines XS_READs of a 3000-byte value and never reads a reply;</li>
 * <li>{@code multicall}: keeps 100 multicalls of 2^20 entries (memory_op maximum_ram_page each) in flight;</li>
 * <li>{@code xenstore}: one connection holds 1000 watches and never reads, another writes under the watched path as
 *     fast as it is answered (every write fires 1000 events);</li>
 * <li>{@code connections}: opens connections that never say HELLO, as fast as it can; afterwards a fresh toolstack
 *     connection must still complete its HELLO.</li>
 * </ul>
 */
@Command(name = "attack", mixinStandardHelpOptions = true,
        description = "A victim client's round trip while a hostile client attacks (no-read, multicall, xenstore, connection floods).")
public final class AttackBench implements Callable<Integer> {
    private static final long ARENA_BASE = 0x1000_0000L;

    @Option(names = "--connect", paramLabel = "SOCKET",
            description = "Attack the running hypervisor at this socket (default: start one in a child JVM).")
    Path socket;

    @Option(names = {"-n", "--iterations"}, defaultValue = "20000", description = "Victim round trips per row (default ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--warmup", defaultValue = "20000", description = "Unmeasured victim round trips first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--attacks", split = ",", defaultValue = "no-read,multicall,xenstore,connections",
            description = "Attacks to run, in order (default ${DEFAULT-VALUE}).")
    List<String> attacks;

    @Option(names = "--multicall-entries", defaultValue = "1048576", description = "Entries per attacking multicall (default ${DEFAULT-VALUE}).")
    int multicallEntries;

    @Override public Integer call() throws Exception {
        try (BenchHypervisor hv = BenchHypervisor.connectOrStart(socket, "fla")) {
            Path sock = hv.socket();
            Path arenaDir = hv.runDir();
            System.out.printf("victim: toolstack HypervisorConnection, null hypercall; %d warm-up + %d measured round trips per row%n",
                    warmup, iterations);
            System.out.printf("load average at start: %s%n%n", Files.readString(Path.of("/proc/loadavg")).trim());
            System.out.printf("%-12s %9s %9s %9s %9s %10s %10s %s%n", "attack", "p50 µs", "p99 µs", "p99.9 µs", "max µs",
                    "p50/quiet", "p99/quiet", "attacker");
            try (HypervisorConnection victim = HypervisorConnection.toolstack(sock, arenaDir, AbiProfile.XEN_4_12, 4096)) {
                measure(victim, warmup);
                Histogram quiet = measure(victim, iterations);
                row("quiet", quiet, quiet, "-");
                for (String name : attacks) {
                    if (!List.of("no-read", "multicall", "xenstore", "connections").contains(name))
                        throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                                "unknown attack " + name + " (no-read, multicall, xenstore, connections)");
                    Process attacker = startAttacker(name, sock, arenaDir);
                    String report;
                    Histogram h;
                    try {
                        h = measure(victim, iterations);
                        report = name.equals("connections") ? "a new toolstack connection during the flood: "
                                + (freshToolstackServed(sock) ? "served" : "LOCKED OUT") + "; " : "";
                    } finally {
                        attacker.getOutputStream().close(); // tells the attacker to stop
                    }
                    String last = new java.io.BufferedReader(new java.io.InputStreamReader(attacker.getInputStream())).readLine();
                    attacker.waitFor();
                    row(name, h, quiet, report + (last == null ? "" : last));
                }
                Histogram after = measure(victim, iterations);
                row("quiet again", after, quiet, "-");
            }
            return 0;
        }
    }

    private static Histogram measure(HypervisorConnection c, int n) throws IOException {
        Histogram h = new Histogram(60_000_000_000L, 3);
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            if (c.hypercall(Hypercalls.MULTICALL, 0, 0) != 0) throw new IOException("null hypercall failed");
            h.recordValue(System.nanoTime() - t0);
        }
        return h;
    }

    private static void row(String name, Histogram h, Histogram quiet, String attacker) {
        System.out.printf("%-12s %9.1f %9.1f %9.1f %9.1f %9.2fx %9.2fx %s%n", name, h.getValueAtPercentile(50) / 1e3,
                h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3,
                (double) h.getValueAtPercentile(50) / quiet.getValueAtPercentile(50),
                (double) h.getValueAtPercentile(99) / quiet.getValueAtPercentile(99), attacker);
    }

    static Attack start(String name, Path sock, Path arenaDir, int multicallEntries) throws IOException {
        return switch (name) {
            case "no-read" -> new NoRead(sock);
            case "multicall" -> new MulticallFlood(sock, arenaDir, multicallEntries);
            case "xenstore" -> new XenstoreFlood(sock);
            case "connections" -> new ConnectionFlood(sock);
            default -> throw new IllegalArgumentException("unknown attack " + name);
        };
    }

    /** Starts {@link AttackerMain} in a child JVM and waits until its attack is under way. */
    private Process startAttacker(String name, Path sock, Path arenaDir) throws IOException {
        Process p = org.fallow.abi.process.ChildJvm.builder(List.of("-Xmx256m", "-XX:+UseSerialGC"), AttackerMain.class.getName(),
                        List.of(name, sock.toString(), arenaDir.toString(), Integer.toString(multicallEntries)))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String line = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream())).readLine();
        if (!"ready".equals(line)) {
            p.destroyForcibly();
            throw new IOException("attacker " + name + " did not start");
        }
        return p;
    }

    private static boolean freshToolstackServed(Path sock) {
        try (HypervisorConnection c = HypervisorConnection.toolstack(sock, sock.toAbsolutePath().getParent(), AbiProfile.XEN_4_12, 4096)) {
            return c.hypercall(Hypercalls.MULTICALL, 0, 0) == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The attacker process: {@code AttackerMain ATTACK SOCKET ARENA_DIR MULTICALL_ENTRIES}. Prints {@code ready} once
     * the attack is under way, attacks until its stdin closes, then prints what it sent and exits.
     */
    public static final class AttackerMain {
        private AttackerMain() {}

        public static void main(String[] args) throws Exception {
            try (Attack a = start(args[0], Path.of(args[1]), Path.of(args[2]), Integer.parseInt(args[3]))) {
                a.awaitEffective();
                System.out.println("ready");
                System.out.flush();
                while (System.in.read() >= 0) { /* until the bench closes our stdin */ }
                a.stop = true;
                System.out.println(a.report());
                System.out.flush();
            }
            System.exit(0);
        }
    }

    // ---- attackers ----------------------------------------------------------------------------------------------

    /** A raw client (JDK socket): frames by hand, so it can misbehave in ways the client library never would. */
    static final class Raw implements AutoCloseable {
        final SocketChannel ch;

        Raw(Path sock) throws IOException {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(sock));
        }

        static Raw toolstack(Path sock, Path arena, long len) throws IOException {
            Raw r = new Raw(sock);
            r.send(new Frame(FrameType.HELLO, 1, Hello.encode(Hello.ROLE_TOOLSTACK, 1, 0, null,
                    arena == null ? 0 : ARENA_BASE, len, arena == null ? null : arena.toString())));
            Frame ack = r.read();
            if (ack.type() != FrameType.HELLO_ACK || ack.status() != 0) throw new IOException("attacker HELLO refused");
            return r;
        }

        void send(Frame f) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(f.encode());
            while (b.hasRemaining()) ch.write(b);
        }

        Frame read() throws IOException {
            ByteBuffer h = ByteBuffer.allocate(FrameHeader.LENGTH);
            fill(h);
            FrameHeader hdr = new FrameHeader().wrap(h.array());
            ByteBuffer p = ByteBuffer.allocate((int) hdr.length());
            fill(p);
            return new Frame(hdr.type(), hdr.requestId(), p.array());
        }

        private void fill(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) if (ch.read(b) < 0) throw new EOFException("closed by the hypervisor");
        }

        @Override public void close() {
            try {
                ch.close();
            } catch (IOException ignored) {
                // gone
            }
        }
    }

    abstract static class Attack implements AutoCloseable {
        private final List<Thread> threads = new ArrayList<>();
        final List<Raw> conns = new ArrayList<>();
        volatile boolean stop;
        volatile long sent;

        void thread(String name, IoRunnable body) {
            Thread t = new Thread(() -> {
                try {
                    body.run();
                } catch (IOException e) {
                    if (!stop) System.err.println(name + ": " + e.getMessage());
                }
            }, name);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }

        /** Lets the attack reach its steady state before the victim is measured. */
        void awaitEffective() throws InterruptedException {
            long start = sent;
            for (int i = 0; i < 200 && sent - start < 1000; i++) Thread.sleep(5);
        }

        String report() { return sent + " frames/connections sent"; }

        @Override public void close() throws Exception {
            stop = true;
            synchronized (conns) {
                for (Raw r : conns) r.close();
            }
            for (Thread t : threads) t.join(10_000);
        }
    }

    @FunctionalInterface
    interface IoRunnable {
        void run() throws IOException;
    }

    /** Pipelines XS_READs of a 3000-byte value and never reads. */
    static final class NoRead extends Attack {
        NoRead(Path sock) throws IOException {
            try (Raw setup = Raw.toolstack(sock, null, 0)) {
                setup.send(new Frame(FrameType.XENSTORE, 1, XsSockMsg.encode(XsSockMsg.XS_WRITE, 1, 0,
                        ("/bench-big\0" + "v".repeat(3000)).getBytes())));
                setup.read();
            }
            Raw r = Raw.toolstack(sock, null, 0);
            conns.add(r);
            byte[] read = new Frame(FrameType.XENSTORE, 2, XsSockMsg.encode(XsSockMsg.XS_READ, 2, 0,
                    XsSockMsg.nulTerminated("/bench-big"))).encode();
            thread("no-read", () -> {
                ByteBuffer b = ByteBuffer.wrap(read);
                while (!stop) {
                    b.rewind();
                    while (b.hasRemaining()) r.ch.write(b); // blocks once the hypervisor stops reading us
                    sent++;
                }
            });
        }
    }

    /** Keeps 100 multicalls of {@code entries} cheap hypercalls in flight. */
    static final class MulticallFlood extends Attack {
        private final Path arenaFile;

        MulticallFlood(Path sock, Path arenaDir, int entries) throws IOException {
            long bytes = (long) entries * MulticallEntry.SIZE;
            arenaFile = arenaDir.resolve("attack-" + ProcessHandle.current().pid() + ".arena");
            try (RandomAccessFile f = new RandomAccessFile(arenaFile.toFile(), "rw"); Arena a = Arena.ofConfined()) {
                f.setLength(bytes);
                MemorySegment list = f.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, bytes, a);
                for (long i = 0; i < entries; i++) {
                    list.set(U64_UNALIGNED, i * MulticallEntry.SIZE + MulticallEntry.OP_OFFSET, Hypercalls.MEMORY_OP);
                    list.set(U64_UNALIGNED, i * MulticallEntry.SIZE + MulticallEntry.ARGS_OFFSET, MemoryOpConstants.XENMEM_maximum_ram_page);
                }
            }
            Raw r = Raw.toolstack(sock, arenaFile, bytes);
            conns.add(r);
            thread("multicall", () -> {
                ArrayDeque<Long> inflight = new ArrayDeque<>();
                long id = 10;
                while (!stop) {
                    while (inflight.size() < 100) {
                        r.send(new Frame(FrameType.HYPERCALL, id, HypercallFrame.encode(Hypercalls.MULTICALL, ARENA_BASE, entries)));
                        inflight.add(id++);
                        sent++;
                    }
                    r.read();
                    inflight.poll();
                }
            });
        }

        @Override void awaitEffective() throws InterruptedException {
            while (sent < 100) Thread.sleep(5);
        }

        @Override public void close() throws Exception {
            super.close();
            Files.deleteIfExists(arenaFile);
        }
    }

    /** 1000 watches on a connection that never reads, and a writer firing them all with every write. */
    static final class XenstoreFlood extends Attack {
        XenstoreFlood(Path sock) throws IOException {
            Raw watcher = Raw.toolstack(sock, null, 0);
            Raw writer = Raw.toolstack(sock, null, 0);
            conns.add(watcher);
            conns.add(writer);
            for (int i = 0; i < 1000; i++)
                watcher.send(new Frame(FrameType.XENSTORE, 10 + i, XsSockMsg.encode(XsSockMsg.XS_WATCH, 10 + i, 0,
                        XsSockMsg.nulTerminated("/bench-flood", "t" + i))));
            thread("xs-writer", () -> {
                int window = 32;
                long id = 1;
                for (int i = 0; i < window; i++) write(writer, id++);
                while (!stop) {
                    writer.read();
                    write(writer, id++);
                    sent++;
                }
            });
        }

        private static void write(Raw w, long id) throws IOException {
            w.send(new Frame(FrameType.XENSTORE, id, XsSockMsg.encode(XsSockMsg.XS_WRITE, (int) id, 0,
                    ("/bench-flood/k\0" + id).getBytes())));
        }
    }

    /** Opens connections that never say HELLO; keeps at most 4000 of them open on this side. */
    static final class ConnectionFlood extends Attack {
        private final Path sock;

        ConnectionFlood(Path sock) {
            this.sock = sock;
            thread("connect-flood", () -> {
                ArrayDeque<Raw> held = new ArrayDeque<>();
                while (!stop) {
                    try {
                        Raw r = new Raw(sock);
                        held.add(r);
                        synchronized (conns) {
                            conns.add(r);
                        }
                        sent++;
                    } catch (IOException e) {
                        Thread.onSpinWait(); // backlog full: try again
                    }
                    if (held.size() > 4000) held.poll().close();
                }
            });
        }

        @Override String report() { return sent + " connections opened"; }
    }
}
