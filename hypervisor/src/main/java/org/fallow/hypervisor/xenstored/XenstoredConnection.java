package org.fallow.hypervisor.xenstored;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import org.fallow.abi.wire.XsSockMsg;
import org.fallow.hypervisor.xenstore.XenStore;
import org.fallow.hypervisor.xenstore.XsConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One client of {@code xenstored.sock}: a dom0 tool (libxenstore's {@code XENSTORED_PATH} socket). Requests are
 * served in arrival order on the connection's event-loop thread (the store is quick and thread-safe); each reply is
 * written before the watch events the request caused. Back-pressure: while the connection is unwritable (the client
 * does not read its replies) no more requests are read; watch events for a client that lets more than
 * {@link #MAX_QUEUED_BYTES} pile up close the connection (it only hurts itself).
 */
final class XenstoredConnection extends SimpleChannelInboundHandler<byte[]> implements XsConnection {
    private static final Logger log = LoggerFactory.getLogger(XenstoredConnection.class);
    static final long MAX_QUEUED_BYTES = 1 << 20;

    private final XenStore store;
    private final String name;
    private final AtomicLong queued = new AtomicLong();
    private volatile Channel channel;
    private volatile boolean overflowed;

    XenstoredConnection(XenStore store, String name) {
        this.store = store;
        this.name = name;
    }

    @Override public void channelActive(ChannelHandlerContext ctx) throws Exception {
        channel = ctx.channel();
        log.debug("{}: connected", name);
        super.channelActive(ctx);
    }

    @Override protected void channelRead0(ChannelHandlerContext ctx, byte[] raw) {
        store.handle(this, new XsSockMsg().wrap(raw), this::send);
        if (!ctx.channel().isWritable()) ctx.channel().config().setAutoRead(false);
    }

    @Override public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable()) ctx.channel().config().setAutoRead(true);
        super.channelWritabilityChanged(ctx);
    }

    private void send(byte[] msg) {
        Channel ch = channel;
        if (ch == null || !ch.isActive()) return;
        queued.addAndGet(msg.length);
        ch.writeAndFlush(Unpooled.wrappedBuffer(msg)).addListener(f -> queued.addAndGet(-msg.length));
    }

    // ---- XsConnection: dom0 ---------------------------------------------------------------------------------------

    @Override public int domid() { return 0; }

    @Override public boolean privileged() { return true; }

    @Override public void watchEvent(String path, String token) {
        Channel ch = channel;
        if (ch == null || !ch.isActive() || overflowed) return;
        byte[] ev = XsSockMsg.encode(XsSockMsg.XS_WATCH_EVENT, 0, 0, XsSockMsg.nulTerminated(path, token));
        if (queued.get() + ev.length > MAX_QUEUED_BYTES) {
            overflowed = true;
            log.warn("{}: more than {} bytes of replies and watch events unread; closing the connection", name, MAX_QUEUED_BYTES);
            ch.close();
            return;
        }
        send(ev);
    }

    @Override public String describe() { return name; }

    @Override public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        store.connectionClosed(this);
        log.debug("{}: disconnected", name);
        super.channelInactive(ctx);
    }

    @Override public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("{}: connection error, closing: {}", name, cause.toString());
        ctx.close();
    }
}
