package org.fallow.hypervisor.net;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
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
import org.fallow.hypervisor.core.HypervisorCore;
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
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The hypervisor's Unix-domain-socket server (Netty epoll). Each connection gets
 * {@link FrameEncoder} → {@link FrameDecoder} → {@link ConnectionHandler}. Guests are told about their domain crashing
 * or being destroyed with DOMAIN_EVENT frames. {@link #close()} closes every connection and removes the socket file.
 */
public final class HypervisorServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HypervisorServer.class);

    private final HypervisorCore core;
    private final Path socket;
    private final Path runDir;
    private final int threads;
    private final AtomicInteger connections = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong readPauses = new java.util.concurrent.atomic.AtomicLong();
    private final Map<Integer, Set<ChannelPeer>> guests = new ConcurrentHashMap<>();
    private final ChannelGroup channels = new DefaultChannelGroup("fallow", GlobalEventExecutor.INSTANCE);
    private EventLoopGroup group;
    private Channel serverChannel;
    private RunDirLock runDirLock;
    private volatile boolean closed;

    public HypervisorServer(HypervisorCore core, Path socket, Path runDir, int threads) {
        this.core = core;
        this.socket = socket.toAbsolutePath();
        this.runDir = runDir.toAbsolutePath();
        this.threads = threads;
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
        group = new MultiThreadIoEventLoopGroup(threads, EpollIoHandler.newFactory());
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(EpollServerDomainSocketChannel.class)
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
        log.info("listening on {} ({} I/O threads)", socket, threads);
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

    void guestConnected(int domid, ChannelPeer p) { guests.computeIfAbsent(domid, k -> ConcurrentHashMap.newKeySet()).add(p); }

    void guestDisconnected(int domid, ChannelPeer p) {
        Set<ChannelPeer> s = guests.get(domid);
        if (s != null) s.remove(p);
    }

    private void tellGuests(int domid, int event, String text) {
        Set<ChannelPeer> s = guests.get(domid);
        if (s == null) return;
        for (ChannelPeer p : s) p.sendDomainEvent(event, text);
    }

    void readPaused() { readPauses.incrementAndGet(); }

    /** How often a connection had so many requests queued that reading it was paused (back-pressure). */
    public long readPauses() { return readPauses.get(); }

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
            if (group != null) group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
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
