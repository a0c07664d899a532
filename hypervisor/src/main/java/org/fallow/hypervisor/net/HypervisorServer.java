package org.fallow.hypervisor.net;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.fallow.abi.fs.SafeFiles;
import org.fallow.abi.fs.UnsafePathException;
import org.fallow.abi.wire.DomainEvent;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.DomainLifecycle;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.HypervisorCore;
import org.fallow.hypervisor.core.RateLimitedLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The hypervisor's Unix-domain-socket server (Netty epoll). Its listening socket and every connection live on the
 * core's one dispatch event loop ({@link HypervisorCore#dispatchGroup()}): a frame is read, dispatched and answered
 * on that thread. Each connection gets {@link FrameEncoder} → {@link FrameDecoder} → {@link ConnectionHandler}, with
 * write-buffer water marks and a bounded read size ({@link ServerLimits}). Guests are told about their domain
 * crashing or being destroyed with DOMAIN_EVENT frames. {@link #close()} closes every connection and removes the
 * socket file.
 * <p>
 * Connection limits: at most {@link ServerLimits#maxUnauthenticated} connections without a completed HELLO (a newer
 * one evicts the oldest, so a flood of idle connections cannot lock out a toolstack that says HELLO at once), each of
 * them closed after {@link ServerLimits#handshakeMillis}; guest connections per domain and in all, and toolstack
 * connections, are capped in the HELLO_ACK.
 */
public final class HypervisorServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HypervisorServer.class);

    private final HypervisorCore core;
    private final Path socket;
    private final Path runDir;
    private final ServerLimits limits;
    private final AtomicInteger connections = new AtomicInteger();
    private final Map<Integer, Set<ChannelPeer>> guests = new ConcurrentHashMap<>();
    private final ChannelGroup channels = new DefaultChannelGroup("fallow", GlobalEventExecutor.INSTANCE);
    /** Connections without a completed HELLO, oldest first (dispatch thread only). */
    private final LinkedHashSet<ConnectionHandler> unauthenticated = new LinkedHashSet<>();
    private int guestCount;
    private int toolstackCount;
    private final Counters counters = new Counters();
    private Channel serverChannel;
    private RunDirLock runDirLock;
    private volatile boolean closed;

    /** What the server counted (dispatch thread writes; other threads may read stale values). */
    public static final class Counters {
        public volatile long readPauses;
        public volatile long writePauses;
        public volatile long badFrames;
        public volatile long evictions;
        public volatile long handshakeTimeouts;
        public volatile long watchEventsDropped;
        public volatile long continuations;
        /** Times a connection was not read because it had used more than its share of the hypervisor (credits). */
        public volatile long creditPauses;
        /** Times a connection was not read because its pipelined requests passed their rate (PROTOCOL §9.1.2). */
        public volatile long ratePauses;
    }

    public HypervisorServer(HypervisorCore core, Path socket, Path runDir, ServerLimits limits) {
        this.core = core;
        this.socket = socket.toAbsolutePath();
        this.runDir = runDir.toAbsolutePath();
        this.limits = limits;
        core.domains().addListener(new DomainLifecycle() {
            @Override public void crashed(Domain d, String reason) { tellGuests(d.domid(), DomainEvent.CRASHED, reason); }

            @Override public void destroyed(Domain d) { tellGuests(d.domid(), DomainEvent.DESTROYED, "domain " + d.domid() + " destroyed"); }
        });
    }

    HypervisorCore core() { return core; }

    public Path runDir() { return runDir; }

    public Path socket() { return socket; }

    /**
     * Takes the run directory (private, 0700; one hypervisor each), removes what a dead hypervisor left there (its
     * socket, dom files, arenas, stale pid files), binds the socket (0600) and starts serving.
     */
    public HypervisorServer start() throws IOException, InterruptedException {
        SafeFiles.ensurePrivateDir(runDir);
        runDirLock = RunDirLock.acquire(runDir);
        try {
            removeStaleSocket();
            RunDirLock.removeStale(runDir);
        } catch (IOException | RuntimeException e) {
            runDirLock.close();
            throw e;
        }
        ServerBootstrap b = new ServerBootstrap()
                .group(core.dispatchGroup())
                .channel(EpollServerDomainSocketChannel.class)
                // accept at most 4 connections per loop turn, and at most limits.acceptsPerSecond (AcceptThrottle):
                // a connection flood cannot crowd out others' requests; the rest waits in a short listen backlog
                .option(ChannelOption.MAX_MESSAGES_PER_READ, 4)
                .option(ChannelOption.SO_BACKLOG, ServerLimits.LISTEN_BACKLOG)
                .handler(new AcceptThrottle(limits.acceptsPerSecond(), ServerLimits.ACCEPT_BURST))
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(limits.writeLowWater(), limits.writeHighWater()))
                // bounded reads: at most 4 reads of <= 64 KiB per connection per loop turn
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(64, 2048, 64 * 1024)
                        .maxMessagesPerRead(4))
                .childHandler(new ChannelInitializer<DomainSocketChannel>() {
                    @Override protected void initChannel(DomainSocketChannel ch) {
                        channels.add(ch);
                        ch.pipeline().addLast("encoder", FrameEncoder.INSTANCE)
                                .addLast("decoder", new FrameDecoder())
                                .addLast("handler", new ConnectionHandler(HypervisorServer.this, connections.incrementAndGet()));
                    }
                });
        try {
            serverChannel = b.bind(new DomainSocketAddress(socket.toFile())).sync().channel();
            // connect(2) needs write permission on the socket: only this user (and root) may connect
            Files.setPosixFilePermissions(socket, SafeFiles.FILE_MODE);
        } catch (IOException | RuntimeException | InterruptedException e) {
            close();
            throw e;
        }
        log.info("listening on {} (dispatch on one event loop; limits {})", socket, limits);
        return this;
    }

    private void removeStaleSocket() throws IOException {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) return;
        if (accepting(socket)) throw new IOException("another hypervisor is already serving " + socket);
        if (!Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()
                || SafeFiles.ownerUid(socket) != SafeFiles.uid())
            throw new UnsafePathException(socket + " exists and is not a socket of this user; refusing to replace it");
        log.info("removing stale socket {}", socket);
        Files.deleteIfExists(socket);
    }

    private static boolean accepting(Path socket) {
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    ServerLimits limits() { return limits; }

    Counters counters() { return counters; }

    /** Logger for repeated bad input (rate-limited, summarised). */
    RateLimitedLog badInput() { return core.badInput(); }

    /** A new connection (dispatch thread): one too many without HELLO evicts the oldest of those. */
    void unauthenticatedOpened(ConnectionHandler h) {
        unauthenticated.add(h);
        while (unauthenticated.size() > limits.maxUnauthenticated()) {
            ConnectionHandler oldest = unauthenticated.iterator().next();
            unauthenticated.remove(oldest);
            oldest.evict();
        }
    }

    /** A HELLO was read (it may wait for its turn): the connection no longer counts as idle. */
    void helloReceived(ConnectionHandler h) { unauthenticated.remove(h); }

    /** HELLO answered: {@code c} is the caller, or null if refused. */
    void authenticated(ConnectionHandler h, Caller c) {
        unauthenticated.remove(h);
        if (c == null) return;
        if (c.role() == Caller.Role.GUEST) {
            guestCount++;
            guests.computeIfAbsent(c.domid(), k -> ConcurrentHashMap.newKeySet()).add((ChannelPeer) c.peer());
        } else {
            toolstackCount++;
        }
    }

    void closed(ConnectionHandler h, Caller c) {
        unauthenticated.remove(h);
        if (c == null) return;
        if (c.role() == Caller.Role.GUEST) {
            guestCount--;
            Set<ChannelPeer> s = guests.get(c.domid());
            if (s != null) {
                s.remove((ChannelPeer) c.peer());
                if (s.isEmpty()) guests.remove(c.domid(), s);
            }
        } else {
            toolstackCount--;
        }
    }

    int guestConnections(int domid) {
        Set<ChannelPeer> s = guests.get(domid);
        return s == null ? 0 : s.size();
    }

    int guests() { return guestCount; }

    int toolstacks() { return toolstackCount; }

    private void tellGuests(int domid, int event, String text) {
        Set<ChannelPeer> s = guests.get(domid);
        if (s == null) return;
        for (ChannelPeer p : s) p.sendDomainEvent(event, text);
    }

    /** How often a connection had so many requests in flight that reading it was paused (back-pressure). */
    public long readPauses() { return counters.readPauses; }

    /** The server's counters (back-pressure, bad input, evictions, dropped watch events, continuations). */
    public Counters stats() { return counters; }

    /** Connections that have not completed HELLO (read on any thread: a snapshot). */
    public int unauthenticatedConnections() {
        try {
            return core.dispatcher().submit(unauthenticated::size).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return -1;
        }
    }

    /** One connection's share of the hypervisor's memory: what back-pressure bounds. */
    public record ConnectionStat(String name, int inFlight, long pendingWriteBytes, boolean reading) {}

    /** Every open connection's requests in flight and reply bytes waiting to be sent (taken on the dispatch thread). */
    public List<ConnectionStat> connectionStats() throws Exception {
        return core.dispatcher().submit(() -> {
            List<ConnectionStat> out = new ArrayList<>();
            for (Channel ch : channels) {
                if (ch.pipeline().get("handler") instanceof ConnectionHandler h) {
                    var ob = ch.unsafe().outboundBuffer();
                    out.add(new ConnectionStat(h.toString(), h.inFlight(), ob == null ? 0 : ob.totalPendingWriteBytes(),
                            ch.config().isAutoRead()));
                }
            }
            return out;
        }).get(30, TimeUnit.SECONDS);
    }

    /** Bad-input log lines of one kind seen so far (logged or suppressed). */
    public long badInputCount(String kind) { return core.badInput().count(kind); }

    /** Bad-input log lines counted but not written (rate limit). */
    public long suppressedLogLines() { return core.badInput().suppressed(); }

    /** Number of open client connections. */
    public int openConnections() { return channels.size(); }

    /** Blocks until the server channel is closed. */
    public void awaitClose() throws InterruptedException {
        if (serverChannel != null) serverChannel.closeFuture().sync();
    }

    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            if (serverChannel != null) serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        } finally {
            try {
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                log.warn("could not remove {}: {}", socket, e.toString());
            }
            if (runDirLock != null) runDirLock.close();
            log.info("stopped; removed {}", socket);
        }
    }
}
