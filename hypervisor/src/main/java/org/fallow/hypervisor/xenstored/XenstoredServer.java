package org.fallow.hypervisor.xenstored;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketChannel;
import org.fallow.abi.fs.SafeFiles;
import org.fallow.hypervisor.xenstore.XenStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code <run-dir>/xenstored.sock}: the hypervisor's xenstore in xenstored's own protocol (raw xsd_sockmsg, as
 * libxenstore speaks to {@code XENSTORED_PATH}), for Debian's real Xen tools. Every connection is dom0 and shares the
 * one store with the guests' XENSTORE frames. Only the run directory's owner may connect (peer uid checked); at most
 * {@link #MAX_CONNECTIONS} at once. Runs on the event-loop group it is given (the hypervisor passes its one dispatch
 * loop, so xenstore requests from both sockets run on the same thread as everything else), or on its own small loop.
 */
public final class XenstoredServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(XenstoredServer.class);
    public static final int MAX_CONNECTIONS = 256;

    private final XenStore store;
    private final Path socket;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger serial = new AtomicInteger();
    private EventLoopGroup group;
    private final boolean ownGroup;
    private Channel serverChannel;

    public XenstoredServer(XenStore store, Path socket) { this(store, socket, null); }

    /** @param group the event loop to serve on (not shut down by {@link #close}); null: a loop of its own */
    public XenstoredServer(XenStore store, Path socket, EventLoopGroup group) {
        this.store = store;
        this.socket = socket.toAbsolutePath();
        this.group = group;
        this.ownGroup = group == null;
    }

    public Path socket() { return socket; }

    public XenstoredServer start() throws IOException, InterruptedException {
        removeStaleSocket();
        int myUid = SafeFiles.uid();
        if (ownGroup) group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(EpollServerDomainSocketChannel.class)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 128 * 1024))
                .childHandler(new ChannelInitializer<DomainSocketChannel>() {
                    @Override protected void initChannel(DomainSocketChannel ch) throws Exception {
                        String name = "xenstored.sock#" + serial.incrementAndGet();
                        int uid = ((EpollDomainSocketChannel) ch).peerCredentials().uid();
                        if (myUid >= 0 && uid != myUid && uid != 0) {
                            log.warn("{}: refused: peer uid {} is not the hypervisor's ({})", name, uid, myUid);
                            ch.close();
                            return;
                        }
                        if (open.incrementAndGet() > MAX_CONNECTIONS) {
                            open.decrementAndGet();
                            log.warn("{}: refused: {} connections already open", name, MAX_CONNECTIONS);
                            ch.close();
                            return;
                        }
                        ch.closeFuture().addListener(f -> open.decrementAndGet());
                        ch.pipeline().addLast("decoder", new XsSockMsgDecoder())
                                .addLast("handler", new XenstoredConnection(store, name));
                    }
                });
        serverChannel = b.bind(new DomainSocketAddress(socket.toFile())).sync().channel();
        // connect(2) needs write permission on the socket: only this user (and root) may connect
        Files.setPosixFilePermissions(socket, SafeFiles.FILE_MODE);
        log.info("xenstored protocol on {}", socket);
        return this;
    }

    /** Open connections (tests, stats). */
    public int openConnections() { return open.get(); }

    private void removeStaleSocket() throws IOException {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) return;
        if (!Files.readAttributes(socket, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()
                || SafeFiles.ownerUid(socket) != SafeFiles.uid())
            throw new IOException(socket + " exists and is not a socket of this user; refusing to replace it");
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
            throw new IOException("another hypervisor is already serving " + socket);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("another hypervisor")) throw e;
        }
        log.info("removing stale socket {}", socket);
        Files.deleteIfExists(socket);
    }

    @Override public void close() {
        try {
            if (serverChannel != null) serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            if (ownGroup && group != null) group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        } finally {
            try {
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                log.warn("could not remove {}: {}", socket, e.toString());
            }
        }
    }
}
