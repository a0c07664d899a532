package org.fallow.hypervisor.net;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import org.fallow.abi.AbiProfile;
import org.fallow.abi.XenErrno;
import org.fallow.abi.wire.EvtchnSend;
import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameType;
import org.fallow.abi.wire.Hello;
import org.fallow.abi.wire.HelloAck;
import org.fallow.abi.wire.HypercallFrame;
import org.fallow.abi.wire.MemFault;
import org.fallow.abi.wire.StatusFrame;
import org.fallow.abi.wire.XsSockMsg;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.GuestAddressSpace;
import org.fallow.hypervisor.core.HypervisorCore;
import org.fallow.hypervisor.core.MemoryFaultHandler;
import org.fallow.hypervisor.xenstore.XsConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One client connection after framing: the handshake (PROTOCOL §2), then hypercalls, faults, event-channel sends and
 * xenstore messages. Netty threads only parse and forward: every piece of hypervisor work runs on the core's single
 * dispatch thread, in arrival order, so HYPERCALL_RETs leave in request order. Replies are written from the dispatch
 * thread (Netty keeps the order of writes made by one thread).
 */
final class ConnectionHandler extends SimpleChannelInboundHandler<Frame> implements XsConnection {
    private static final Logger log = LoggerFactory.getLogger(ConnectionHandler.class);

    private enum State { AWAIT_HELLO, HANDSHAKING, READY }

    private final HypervisorServer server;
    private final HypervisorCore core;
    private final int connectionNo;
    private volatile State state = State.AWAIT_HELLO;
    private ChannelPeer peer;
    private volatile Caller caller;
    private ArenaAddressSpace arena;
    /** SO_PEERCRED uid of the client, read when it connected (PeerUid.UNKNOWN if the kernel did not say). */
    private volatile int peerUid = PeerUid.UNKNOWN;
    private final AtomicInteger queued = new AtomicInteger();
    static final int HIGH_WATER = 4096;
    static final int LOW_WATER = 1024;

    ConnectionHandler(HypervisorServer server, int connectionNo) {
        this.server = server;
        this.core = server.core();
        this.connectionNo = connectionNo;
    }

    @Override public void channelActive(ChannelHandlerContext ctx) throws Exception {
        peer = new ChannelPeer(ctx.channel(), "conn#" + connectionNo);
        peerUid = PeerUid.of(ctx.channel());
        peer.rename(peer.describe()); // also names the channel for the decoder's log lines
        log.debug("{}: connected", peer);
        super.channelActive(ctx);
    }

    @Override protected void channelRead0(ChannelHandlerContext ctx, Frame f) {
        int type = f.type();
        if (type == FrameType.BYE) {
            log.debug("{}: BYE", peer);
            ctx.close();
            return;
        }
        if (!FrameType.fromClient(type)) {
            FrameDecoder.reject(ctx, f.requestId(), -XenErrno.EINVAL, FrameType.name(type) + " is a hypervisor-to-client frame", false);
            return;
        }
        State s = state;
        if (s == State.HANDSHAKING) {
            // Pipelined behind the HELLO (sent before its ACK arrived): judge it on the dispatch thread, which runs the
            // HELLO first, so the frame is served after a successful ACK (and dropped with the connection after a
            // refused one) in arrival order, instead of racing the handshake and overtaking the ACK with -EPERM.
            submit(ctx, () -> {
                if (state == State.READY) ready(ctx, f);
                else log.debug("{}: {} after a refused HELLO dropped", peer, f);
            });
            return;
        }
        if (s != State.READY) {
            if (type == FrameType.HELLO) {
                state = State.HANDSHAKING;
                submit(ctx, () -> hello(ctx, f));
            } else {
                FrameDecoder.reject(ctx, f.requestId(), -XenErrno.EPERM, FrameType.name(type) + " before HELLO_ACK", false);
            }
            return;
        }
        ready(ctx, f);
    }

    /** A client frame on a connection whose handshake succeeded. */
    private void ready(ChannelHandlerContext ctx, Frame f) {
        int type = f.type();
        switch (type) {
            case FrameType.HELLO -> FrameDecoder.reject(ctx, f.requestId(), -XenErrno.EINVAL, "duplicate HELLO", false);
            case FrameType.HYPERCALL -> hypercall(ctx, f);
            case FrameType.MEM_FAULT -> memFault(ctx, f);
            case FrameType.EVTCHN_SEND -> evtchnSend(ctx, f);
            case FrameType.XENSTORE -> xenstore(ctx, f);
            default -> FrameDecoder.reject(ctx, f.requestId(), -XenErrno.EINVAL, "unexpected " + FrameType.name(type), false);
        }
    }

    // ---- handshake ----------------------------------------------------------------------------------------------

    /** Runs on the dispatch thread. */
    private void hello(ChannelHandlerContext ctx, Frame f) {
        Hello h = new Hello().wrap(f.payload());
        AbiProfile profile = AbiProfile.fromWireCode(h.profile());
        long status;
        int domid = 0;
        long nrFrames = core.host().totalPages();
        Caller c = null;
        int flags = h.flags();
        if (profile == null) {
            status = refuse(-XenErrno.EOPNOTSUPP, "unknown ABI profile " + h.profile());
        } else if ((flags & ~Hello.FLAGS_KNOWN) != 0) {
            status = refuse(-XenErrno.EINVAL, "unknown HELLO flags 0x" + Integer.toHexString(flags));
        } else if (h.role() == Hello.ROLE_TOOLSTACK && !PeerUid.mayBeToolstack(peerUid)) {
            status = refuse(-XenErrno.EPERM, "toolstack role needs the hypervisor's uid " + org.fallow.abi.fs.SafeFiles.uid()
                    + " or root; the peer is uid " + (peerUid == PeerUid.UNKNOWN ? "unknown" : Integer.toString(peerUid)));
        } else if (h.role() == Hello.ROLE_TOOLSTACK) {
            GuestAddressSpace memory = GuestAddressSpace.NONE;
            status = 0;
            if (h.pathLength() > 0) {
                try {
                    arena = ArenaAddressSpace.map(server.runDir(), Path.of(h.arenaPath()), h.arenaBase(), h.arenaLength());
                    memory = arena;
                } catch (Exception e) {
                    status = refuse(-XenErrno.EINVAL, "bad arena: " + e.getMessage());
                }
            }
            if (status == 0) {
                c = new Caller(Caller.Role.TOOLSTACK, 0, profile, memory, peer, flags);
                peer.rename("toolstack#" + connectionNo);
            }
        } else if (h.role() == Hello.ROLE_GUEST) {
            domid = h.domid();
            Domain d = core.domains().get(domid);
            if (d == null || d.dying()) {
                status = refuse(-XenErrno.ESRCH, "no domain " + domid);
            } else if (!d.handleMatches(h.secret())) {
                status = refuse(-XenErrno.EACCES, "wrong secret for d" + domid);
            } else {
                GuestAddressSpace memory = d.part(GuestAddressSpace.class);
                c = new Caller(Caller.Role.GUEST, domid, profile, memory != null ? memory : GuestAddressSpace.NONE, peer, flags);
                nrFrames = d.memory() != null ? d.memory().nrFrames() : 0;
                peer.rename("guest d" + domid + "#" + connectionNo);
                server.guestConnected(domid, peer);
                status = 0;
            }
        } else {
            status = refuse(-XenErrno.EOPNOTSUPP, "unknown role " + h.role());
        }
        Frame ack = new Frame(FrameType.HELLO_ACK, f.requestId(),
                HelloAck.encode(status, domid, nrFrames, server.runDir().toString(),
                        profile != null ? profile.xenVersion() : HelloAck.XEN_VERSION_4_12));
        if (c != null) {
            caller = c;
            state = State.READY; // before the ACK leaves, so nothing the client sends after it is refused
            ctx.writeAndFlush(ack);
            log.info("{}: connected as {} (profile {})", peer, c, profile.label());
        } else {
            ctx.writeAndFlush(ack).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private long refuse(int errno, String why) {
        log.warn("{}: HELLO refused: {} -> {}", peer, why, XenErrno.name(errno));
        return errno;
    }

    // ---- requests -----------------------------------------------------------------------------------------------

    private void hypercall(ChannelHandlerContext ctx, Frame f) {
        HypercallFrame hf = new HypercallFrame().wrap(f.payload());
        long op = hf.op();
        long[] args = hf.args();
        long id = f.requestId();
        Caller c = caller;
        submit(ctx, () -> {
            long ret = core.dispatch(c, op, args);
            ctx.channel().writeAndFlush(new Frame(FrameType.HYPERCALL_RET, id, StatusFrame.encode(ret)), ctx.voidPromise());
        });
    }

    private void memFault(ChannelHandlerContext ctx, Frame f) {
        Caller c = caller;
        if (c.role() != Caller.Role.GUEST) {
            FrameDecoder.reject(ctx, f.requestId(), -XenErrno.EPERM, "MEM_FAULT from a toolstack connection", false);
            return;
        }
        MemFault mf = new MemFault().wrap(f.payload());
        if (mf.access() != MemFault.ACCESS_READ && mf.access() != MemFault.ACCESS_WRITE) {
            FrameDecoder.reject(ctx, f.requestId(), -XenErrno.EINVAL, "MEM_FAULT access " + mf.access() + " is neither 1 nor 2", false);
            return;
        }
        long gfn = mf.gfn();
        boolean write = mf.access() == MemFault.ACCESS_WRITE;
        int vcpu = mf.vcpu();
        long id = f.requestId();
        submit(ctx, () -> {
            FaultReply reply = new FaultReply(ctx, id, gfn);
            Domain d = core.domains().get(c.domid());
            if (d == null) {
                reply.failed(-XenErrno.ESRCH, "domain " + c.domid() + " is gone");
                return;
            }
            try {
                core.faultHandler().onFault(d, gfn, write, vcpu, reply);
            } catch (RuntimeException | InternalError e) {
                log.error("{}: fault handler failed on gfn 0x{}", peer, Long.toHexString(gfn), e);
                reply.failed(-XenErrno.EFAULT, "fault handler failed: " + e);
            }
        });
    }

    /** Sends FAULT_DONE once, whenever (and from whichever thread) the fault is resolved. */
    private final class FaultReply implements MemoryFaultHandler.Reply {
        private final ChannelHandlerContext ctx;
        private final long id;
        private final long gfn;
        private final AtomicBoolean done = new AtomicBoolean();

        FaultReply(ChannelHandlerContext ctx, long id, long gfn) {
            this.ctx = ctx;
            this.id = id;
            this.gfn = gfn;
        }

        @Override public void resolved() { complete(0); }

        @Override public void failed(int negErrno, String why) {
            log.info("{}: fault on gfn 0x{} failed: {} ({})", peer, Long.toHexString(gfn), why, XenErrno.name(negErrno));
            complete(negErrno);
        }

        private void complete(long status) {
            if (!done.compareAndSet(false, true)) {
                log.warn("{}: fault on gfn 0x{} completed twice; second completion ignored", peer, Long.toHexString(gfn));
                return;
            }
            ctx.channel().writeAndFlush(new Frame(FrameType.FAULT_DONE, id, StatusFrame.encode(status)), ctx.voidPromise());
        }
    }

    private void evtchnSend(ChannelHandlerContext ctx, Frame f) {
        int port = new EvtchnSend().wrap(f.payload()).port();
        long id = f.requestId();
        submit(ctx, () -> {
            var hub = core.eventChannels();
            int rc = hub == null ? -XenErrno.EINVAL : hub.remoteSend(peer, port);
            if (rc < 0) FrameDecoder.reject(ctx, id, rc, "EVTCHN_SEND on port " + port + " refused", false);
        });
    }

    private void xenstore(ChannelHandlerContext ctx, Frame f) {
        long id = f.requestId();
        submit(ctx, () -> {
            core.xenstore().handle(this, new XsSockMsg().wrap(f.payload()),
                    reply -> ctx.channel().writeAndFlush(new Frame(FrameType.XENSTORE, id, reply), ctx.voidPromise()));
        });
    }

    // ---- XsConnection -------------------------------------------------------------------------------------------

    @Override public int domid() { return caller.domid(); }

    @Override public boolean privileged() { return caller.privileged(); }

    /** Unread output beyond which a client that keeps getting watch events is closed (it only hurts itself). */
    static final long MAX_UNREAD_BYTES = 1 << 20;

    @Override public void watchEvent(String path, String token) {
        var out = peer.channel().unsafe().outboundBuffer();
        if (out != null && out.totalPendingWriteBytes() > MAX_UNREAD_BYTES) {
            if (peer.channel().isActive()) {
                log.warn("{}: more than {} bytes unread; watch event for {} not queued, closing", peer, MAX_UNREAD_BYTES, path);
                peer.channel().close();
            }
            return;
        }
        peer.send(new Frame(FrameType.XENSTORE, 0,
                XsSockMsg.encode(XsSockMsg.XS_WATCH_EVENT, 0, 0, XsSockMsg.nulTerminated(path, token))));
    }

    @Override public String describe() { return peer.describe(); }

    // ---- plumbing -----------------------------------------------------------------------------------------------

    /**
     * Queues work for the dispatch thread. Back-pressure: a client with more than {@link #HIGH_WATER} requests queued
     * stops being read until it is down to {@link #LOW_WATER}, so a flood of pipelined requests cannot exhaust memory.
     */
    private void submit(ChannelHandlerContext ctx, Runnable task) {
        if (core.onDispatchThread()) {
            // already on the dispatch thread (a frame deferred during the handshake): run now, keeping arrival order
            task.run();
            return;
        }
        if (queued.incrementAndGet() >= HIGH_WATER && ctx.channel().config().isAutoRead()) {
            log.debug("{}: {} requests queued, pausing reads", peer, queued.get());
            ctx.channel().config().setAutoRead(false);
            server.readPaused();
        }
        try {
            core.dispatcher().execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException | InternalError e) {
                    // never let one request kill the dispatch thread (InternalError = SIGBUS on a truncated mapping)
                    log.error("{}: request failed inside the hypervisor", peer, e);
                } finally {
                    if (queued.decrementAndGet() <= LOW_WATER && !ctx.channel().config().isAutoRead())
                        ctx.channel().config().setAutoRead(true);
                }
            });
        } catch (RejectedExecutionException e) {
            queued.decrementAndGet();
            log.info("{}: hypervisor shutting down, closing", peer);
            ctx.close();
        }
    }

    @Override public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        log.info("{}: disconnected", peer);
        Runnable cleanup = () -> {
            core.xenstore().connectionClosed(this);
            Caller c = caller;
            if (c != null && c.role() == Caller.Role.GUEST) server.guestDisconnected(c.domid(), peer);
            if (arena != null) arena.close();
        };
        try {
            core.dispatcher().execute(cleanup);
        } catch (RejectedExecutionException e) {
            cleanup.run();
        }
        super.channelInactive(ctx);
    }

    @Override public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("{}: connection error, closing: {}", peer, cause.toString());
        ctx.close();
    }
}
