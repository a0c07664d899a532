package org.fallow.hypervisor.net;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.fallow.abi.AbiProfile;
import org.fallow.abi.XenErrno;
import org.fallow.abi.wire.ErrorFrame;
import org.fallow.abi.wire.EvtchnSend;
import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameType;
import org.fallow.abi.wire.Hello;
import org.fallow.abi.wire.HelloAck;
import org.fallow.abi.wire.MemFault;
import org.fallow.abi.wire.StatusFrame;
import org.fallow.abi.wire.XsSockMsg;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.GuestAddressSpace;
import org.fallow.hypervisor.core.HypervisorCore;
import org.fallow.hypervisor.core.MemoryFaultHandler;
import org.fallow.hypervisor.core.RequestFailure;
import org.fallow.hypervisor.core.Scheduler;
import org.fallow.hypervisor.xenstore.XsConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * One client connection after framing: the handshake (PROTOCOL §2), then hypercalls, faults, event-channel sends and
 * xenstore messages. The channel lives on the core's dispatch event loop, so everything here runs on that one thread:
 * each frame (or {@link BadFrame}) becomes a piece of work in this connection's {@link Scheduler.Queue}, run at once
 * when the hypervisor is idle (the reply is written by the thread that read the request, flushed when the read batch
 * ends) or in this connection's round-robin turn otherwise. Work of one connection runs in arrival order, so replies
 * leave in request order and an ERROR for a bad frame follows the replies of the requests before it.
 * <p>
 * Back-pressure (PROTOCOL §9): at {@link ServerLimits#maxInFlight} unanswered requests the connection is not read
 * until half of them are answered; when its send buffer passes the high-water mark it is neither read nor served
 * until the client has read it down to the low-water mark.
 */
final class ConnectionHandler extends ChannelInboundHandlerAdapter implements XsConnection {
    private static final Logger log = LoggerFactory.getLogger(ConnectionHandler.class);

    private enum State { AWAIT_HELLO, READY, REFUSED }

    private final HypervisorServer server;
    private final HypervisorCore core;
    private final ServerLimits limits;
    private final int connectionNo;
    private final Scheduler.Queue queue;
    private State state = State.AWAIT_HELLO;
    private ChannelHandlerContext ctx;
    private ChannelPeer peer;
    private volatile Caller caller;
    /** A guest connection's domain, as it was at the HELLO (a later domain may reuse the domid). */
    private volatile Domain boundDomain;
    private ArenaAddressSpace arena;
    private ScheduledFuture<?> handshakeTimer;
    /** Requests read and not yet answered (queued, running, or a fault waiting for the pager). */
    private int inFlight;
    private boolean readPausedForInFlight;
    private boolean inRead;
    /**
     * When the current read turn began (System.nanoTime; 0 while the connection is alone on the hypervisor, when there
     * is nothing to charge): its cost is charged to this connection's credit.
     */
    private long readStart;
    /** Not read while over its credit (Scheduler#overdrawnNanos); a timer reads it again. */
    private final TimedReadPause creditPause = new TimedReadPause();
    /** Pipelined requests read (PROTOCOL §9.1.2); not read while its bucket is in debt, a timer reads it again. */
    private final PipelinedRequestRate pipelined;
    private final TimedReadPause ratePause = new TimedReadPause();
    private boolean closing;
    private boolean helloSeen;
    private long watchDropsThisEpisode;
    private long watchBytesDroppedThisEpisode;
    /** SO_PEERCRED uid of the client, read when it connected (PeerUid.UNKNOWN if the kernel did not say). */
    private volatile int peerUid = PeerUid.UNKNOWN;

    ConnectionHandler(HypervisorServer server, int connectionNo) {
        this.server = server;
        this.core = server.core();
        this.limits = server.limits();
        this.connectionNo = connectionNo;
        this.queue = new Scheduler.Queue("conn#" + connectionNo);
        this.pipelined = new PipelinedRequestRate(limits.pipelinedPerSecond(), limits.pipelinedBurst(), System.nanoTime());
    }

    @Override public void channelActive(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        peer = new ChannelPeer(ctx.channel(), "conn#" + connectionNo);
        peerUid = PeerUid.of(ctx.channel());
        peer.rename(peer.describe()); // also names the channel for the decoder's log lines
        log.debug("{}: connected", peer);
        core.scheduler().open(queue);
        server.unauthenticatedOpened(this);
        handshakeTimer = ctx.executor().schedule(() -> {
            if (state == State.AWAIT_HELLO && !helloSeen && ctx.channel().isActive()) {
                server.badInput().warn("handshake timeout", peer.describe(), "{}: no HELLO within {} ms, closing", peer, limits.handshakeMillis());
                server.counters().handshakeTimeouts++;
                ctx.close();
            }
        }, limits.handshakeMillis(), TimeUnit.MILLISECONDS);
        super.channelActive(ctx);
    }

    /** Closes an unauthenticated connection to make room for a newer one. */
    void evict() {
        if (state != State.AWAIT_HELLO || helloSeen) return;
        server.badInput().warn("unauthenticated eviction", peer.describe(), "{}: evicted: more than {} connections without HELLO", peer,
                limits.maxUnauthenticated());
        server.counters().evictions++;
        ctx.close();
    }

    // ---- reading ------------------------------------------------------------------------------------------------

    @Override public void channelRead(ChannelHandlerContext ctx, Object msg) {
        boolean sameTurn = inRead;
        if (!inRead) readStart = core.scheduler().clockUnlessAlone(); // alone: 0, nothing to charge
        inRead = true;
        try {
            if (closing) return;
            // a request read in the same read turn as another of this connection, or while one is in flight, is
            // pipelined (PROTOCOL §9.1.2; one answered at once on arrival is no longer in flight when the next frame
            // of its turn is read, hence both tests): it takes a token at the turn's start time (no clock read per frame)
            if ((sameTurn || inFlight > 0) && core.scheduler().shared())
                pipelined.take(readStart != 0 ? readStart : System.nanoTime());
            if (msg instanceof BadFrame bad) {
                if (bad.fatal()) {
                    closing = true;
                    ctx.channel().config().setAutoRead(false);
                }
                submit(bad.requestId(), () -> badFrame(bad));
            } else if (msg instanceof HypercallRequest hc) {
                submitWork(new HypercallWork(hc.requestId(), hc.op(), hc.args()));
            } else if (msg instanceof Frame f) {
                frame(f);
            } else {
                log.error("{}: unexpected message {}", peer, msg.getClass().getName());
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override public void channelReadComplete(ChannelHandlerContext ctx) {
        queue.newTurn();
        ctx.flush();
        if (inRead) {
            inRead = false;
            core.scheduler().charge(queue, readStart);
            if (creditPause.take(core.scheduler().overdrawnNanos(queue))) server.counters().creditPauses++;
            if (ratePause.take(core.scheduler().shared() ? pipelined.waitNanos(System.nanoTime()) : 0)) server.counters().ratePauses++;
        }
    }

    private void frame(Frame f) {
        int type = f.type(); // a HYPERCALL comes as a HypercallRequest (FrameDecoder)
        // a connection whose HELLO has arrived is no longer idle: it must not be evicted while the HELLO waits its turn
        if (type == FrameType.HELLO && state == State.AWAIT_HELLO && !helloSeen) {
            helloSeen = true;
            server.helloReceived(this);
        }
        submit(f.requestId(), () -> {
            if (type == FrameType.BYE) {
                log.debug("{}: BYE", peer);
                closing = true;
                ctx.close();
            } else if (!FrameType.fromClient(type)) {
                error(f.requestId(), -XenErrno.EINVAL, FrameType.name(type) + " is a hypervisor-to-client frame");
            } else if (state == State.REFUSED) {
                log.debug("{}: {} after a refused HELLO dropped", peer, f);
            } else if (state == State.AWAIT_HELLO) {
                if (type == FrameType.HELLO) hello(f);
                else error(f.requestId(), -XenErrno.EPERM, FrameType.name(type) + " before HELLO_ACK");
            } else {
                ready(f);
            }
        });
    }

    /** A client frame on a connection whose handshake succeeded (runs in this connection's turn). */
    private void ready(Frame f) {
        int type = f.type();
        switch (type) {
            case FrameType.HELLO -> error(f.requestId(), -XenErrno.EINVAL, "duplicate HELLO");
            case FrameType.MEM_FAULT -> memFault(f);
            case FrameType.EVTCHN_SEND -> evtchnSend(f);
            case FrameType.XENSTORE -> xenstore(f);
            default -> error(f.requestId(), -XenErrno.EINVAL, "unexpected " + FrameType.name(type));
        }
    }

    /** ERROR for a refused frame, in order after the replies before it; a fatal one then closes the connection. */
    private void badFrame(BadFrame bad) { error(bad.requestId(), bad.errno(), bad.reason(), bad.fatal()); }

    // ---- handshake ----------------------------------------------------------------------------------------------

    private void hello(Frame f) {
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
            status = server.toolstacks() >= limits.maxToolstacks()
                    ? refuse(-XenErrno.ENFILE, "already " + limits.maxToolstacks() + " toolstack connections") : 0;
            if (status == 0 && h.pathLength() > 0) {
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
            } else if (server.guestConnections(domid) >= limits.maxGuestPerDomain()) {
                status = refuse(-XenErrno.EMFILE, "d" + domid + " already has " + limits.maxGuestPerDomain() + " connections");
            } else if (server.guests() >= limits.maxGuests()) {
                status = refuse(-XenErrno.ENFILE, "already " + limits.maxGuests() + " guest connections");
            } else {
                GuestAddressSpace memory = d.part(GuestAddressSpace.class);
                c = new Caller(Caller.Role.GUEST, domid, profile, memory != null ? memory : GuestAddressSpace.NONE, peer, flags);
                boundDomain = d;
                nrFrames = d.memory() != null ? d.memory().nrFrames() : 0;
                peer.rename("guest d" + domid + "#" + connectionNo);
                status = 0;
            }
        } else {
            status = refuse(-XenErrno.EOPNOTSUPP, "unknown role " + h.role());
        }
        // A refused ACK tells the client nothing about the host: nr_frames 0 and no run directory (PROTOCOL §2.2).
        int xenVersion = profile != null ? profile.xenVersion() : HelloAck.XEN_VERSION_4_12;
        Frame ack = new Frame(FrameType.HELLO_ACK, f.requestId(), c != null
                ? HelloAck.encode(status, domid, nrFrames, server.runDir().toString(), xenVersion)
                : HelloAck.encode(status, domid, 0, null, xenVersion));
        if (handshakeTimer != null) handshakeTimer.cancel(false);
        server.authenticated(this, c);
        if (c != null) {
            caller = c;
            state = State.READY; // before the ACK leaves, so nothing the client sends after it is refused
            reply(ack);
            log.info("{}: connected as {} (profile {})", peer, c, profile.label());
        } else {
            state = State.REFUSED;
            closing = true;
            ctx.writeAndFlush(ack).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private long refuse(int errno, String why) {
        server.badInput().warn("HELLO refused", peer.describe(), "{}: HELLO refused: {} -> {}", peer, why, XenErrno.name(errno));
        return errno;
    }

    // ---- requests -----------------------------------------------------------------------------------------------

    /** A hypercall, possibly run in several slices (continuations). */
    private final class HypercallWork implements Scheduler.Work {
        private final long id;
        private long op;
        private long[] args;
        private boolean started;

        HypercallWork(long id, long op, long[] args) {
            this.id = id;
            this.op = op;
            this.args = args;
        }

        @Override public boolean run() {
            if (!started) {
                started = true;
                if (state != State.READY) {
                    if (state == State.AWAIT_HELLO) error(id, -XenErrno.EPERM, "HYPERCALL before HELLO_ACK");
                    finished();
                    return true;
                }
            }
            long ret = guestDomainGone(caller) ? -XenErrno.ESRCH : core.dispatch(caller, op, args);
            HypervisorCore.Continuation k = core.takeContinuation();
            if (k != null) {
                op = k.op();
                args = k.args();
                server.counters().continuations++;
                return false;
            }
            answer(ret);
            return true;
        }

        private boolean answered;

        private void answer(long ret) {
            answered = true;
            reply(new Frame(FrameType.HYPERCALL_RET, id, StatusFrame.encode(ret)));
            finished();
        }

        /** Something outside the handlers threw (the handlers' own failures are -EFAULT from dispatch already). */
        @Override public void failed(Throwable t) {
            if (!answered) answer(-XenErrno.EFAULT);
        }
    }

    private void memFault(Frame f) {
        Caller c = caller;
        if (c.role() != Caller.Role.GUEST) {
            error(f.requestId(), -XenErrno.EPERM, "MEM_FAULT from a toolstack connection");
            return;
        }
        MemFault mf = new MemFault().wrap(f.payload());
        if (mf.access() != MemFault.ACCESS_READ && mf.access() != MemFault.ACCESS_WRITE) {
            error(f.requestId(), -XenErrno.EINVAL, "MEM_FAULT access " + mf.access() + " is neither 1 nor 2");
            return;
        }
        long gfn = mf.gfn();
        FaultReply reply = new FaultReply(f.requestId(), gfn);
        inFlight++; // answered by FAULT_DONE, maybe much later (a paused vCPU waiting for the pager)
        Domain d = core.domains().get(c.domid());
        if (guestDomainGone(c)) {
            reply.failed(-XenErrno.ESRCH, "domain " + c.domid() + " is gone");
            return;
        }
        try {
            core.faultHandler().onFault(d, gfn, mf.access() == MemFault.ACCESS_WRITE, mf.vcpu(), reply);
        } catch (RuntimeException | Error e) {
            // a bug or an Error the thread survives (RequestFailure): FAULT_DONE -EFAULT, the connection goes on
            if (!RequestFailure.recoverable(e)) throw e;
            RequestFailure.log(peer + ": fault on gfn 0x" + Long.toHexString(gfn), e);
            if (!reply.done) reply.failed(-XenErrno.EFAULT, "fault handler failed: " + e);
        }
    }

    /** Sends FAULT_DONE once, whenever (and from whichever thread) the fault is resolved. */
    private final class FaultReply implements MemoryFaultHandler.Reply {
        private final long id;
        private final long gfn;
        private boolean done;

        FaultReply(long id, long gfn) {
            this.id = id;
            this.gfn = gfn;
        }

        @Override public void resolved() { complete(0); }

        @Override public void failed(int negErrno, String why) {
            log.info("{}: fault on gfn 0x{} failed: {} ({})", peer, Long.toHexString(gfn), why, XenErrno.name(negErrno));
            complete(negErrno);
        }

        private void complete(long status) {
            if (!core.onDispatchThread()) {
                core.dispatcher().execute(() -> complete(status));
                return;
            }
            if (done) {
                log.warn("{}: fault on gfn 0x{} completed twice; second completion ignored", peer, Long.toHexString(gfn));
                return;
            }
            done = true;
            reply(new Frame(FrameType.FAULT_DONE, id, StatusFrame.encode(status)));
            answered();
        }
    }

    private void evtchnSend(Frame f) {
        int port = new EvtchnSend().wrap(f.payload()).port();
        var hub = core.eventChannels();
        int rc = hub == null ? -XenErrno.EINVAL : hub.remoteSend(peer, port);
        if (rc < 0) error(f.requestId(), rc, "EVTCHN_SEND on port " + port + " refused");
    }

    private void xenstore(Frame f) {
        long id = f.requestId();
        XsSockMsg msg = new XsSockMsg().wrap(f.payload());
        if (guestDomainGone(caller)) {
            reply(new Frame(FrameType.XENSTORE, id,
                    XsSockMsg.encode(XsSockMsg.XS_ERROR, msg.reqId(), msg.txId(), XsSockMsg.nulTerminated("EACCES"))));
            return;
        }
        core.xenstore().handle(this, msg, r -> reply(new Frame(FrameType.XENSTORE, id, r)));
    }

    /**
     * A guest connection whose domain is dying or destroyed (even if a new domain has taken its domid since): its
     * hypercalls get -ESRCH, its faults FAULT_DONE -ESRCH, its xenstore requests XS_ERROR EACCES (PROTOCOL §2.4).
     */
    private boolean guestDomainGone(Caller c) {
        if (c == null || c.role() != Caller.Role.GUEST) return false;
        Domain d = boundDomain;
        return d == null || d.dying() || core.domains().get(c.domid()) != d;
    }

    // ---- XsConnection -------------------------------------------------------------------------------------------

    @Override public int domid() { return caller.domid(); }

    @Override public boolean privileged() { return caller.privileged(); }

    /** Unread output beyond which a client that keeps getting watch events is closed (it only hurts itself). */
    static final long MAX_UNREAD_BYTES = 1 << 20;

    @Override public void watchEvent(String path, String token) {
        if (!ctx.executor().inEventLoop()) { // a write through another thread's xenstore access: keep state on our loop
            ctx.executor().execute(() -> watchEvent(path, token));
            return;
        }
        var out = peer.channel().unsafe().outboundBuffer();
        if (!peer.isWritable() || (out != null && out.totalPendingWriteBytes() > MAX_UNREAD_BYTES)) {
            // the client does not read: drop the event rather than buffer without bound (counted; one log line per
            // episode, rate-limited, so that a write firing thousands of watches costs a counter each); once the
            // events it missed in this episode pass MAX_UNREAD_BYTES it is closed (it could not catch up anyway)
            server.counters().watchEventsDropped++;
            watchBytesDroppedThisEpisode += 24 + XsSockMsg.HEADER_LENGTH + path.length() + token.length() + 2;
            if (watchDropsThisEpisode++ == 0)
                server.badInput().warn("watch event dropped", peer.describe(),
                        "{}: not reading its socket; dropping its watch events (first: {}) until it reads", peer, path);
            if (watchBytesDroppedThisEpisode + (out == null ? 0 : out.totalPendingWriteBytes()) > MAX_UNREAD_BYTES
                    && peer.channel().isActive()) {
                server.badInput().warn("unread watch events", peer.describe(),
                        "{}: more than {} bytes of watch events unread; closing", peer, MAX_UNREAD_BYTES);
                peer.channel().close();
            }
            return;
        }
        watchDropsThisEpisode = 0;
        watchBytesDroppedThisEpisode = 0;
        peer.send(new Frame(FrameType.XENSTORE, 0,
                XsSockMsg.encode(XsSockMsg.XS_WATCH_EVENT, 0, 0, XsSockMsg.nulTerminated(path, token))));
    }

    @Override public String describe() { return peer.describe(); }

    // ---- plumbing -----------------------------------------------------------------------------------------------

    /**
     * Queues a one-slice piece of work that answers request {@code requestId}; if it throws (RequestFailure), the
     * request is answered ERROR -EFAULT instead.
     */
    private void submit(long requestId, Runnable r) {
        submitWork(new Scheduler.Work() {
            @Override public boolean run() {
                try {
                    r.run();
                } finally {
                    finished();
                }
                return true;
            }

            @Override public void failed(Throwable t) {
                // not bad input (already logged as a failure): no "rejected frame" line, no badFrames count
                if (ctx.channel().isActive() && !closing)
                    ctx.writeAndFlush(new Frame(FrameType.ERROR, requestId,
                            ErrorFrame.encode(-XenErrno.EFAULT, "request failed inside the hypervisor: " + t)), ctx.voidPromise());
            }
        });
    }

    private void submitWork(Scheduler.Work w) {
        inFlight++;
        if (inFlight >= limits.maxInFlight() && !readPausedForInFlight) {
            readPausedForInFlight = true;
            ctx.channel().config().setAutoRead(false);
            server.counters().readPauses++;
            log.debug("{}: {} requests in flight, pausing reads", peer, inFlight);
        }
        core.scheduler().submit(queue, w);
    }

    /** The work of one request is over (its answer, if it has one, may still be pending: see {@link FaultReply}). */
    private void finished() {
        answered();
    }

    private void answered() {
        inFlight--;
        if (readPausedForInFlight && inFlight <= limits.maxInFlight() / 2) {
            readPausedForInFlight = false;
            updateAutoRead();
        }
    }

    /** A pause of reading that a timer ends (the credit and the pipelined-request rate each have one). */
    private final class TimedReadPause {
        boolean on;

        /** Stops reading for {@code nanos} unless already paused; true if a pause began. */
        boolean take(long nanos) {
            if (nanos <= 0 || on) return false;
            on = true;
            updateAutoRead();
            ctx.executor().schedule(() -> {
                on = false;
                updateAutoRead();
            }, nanos, TimeUnit.NANOSECONDS);
            return true;
        }
    }

    private void updateAutoRead() {
        boolean read = !closing && !readPausedForInFlight && !creditPause.on && !ratePause.on && ctx.channel().isWritable();
        if (ctx.channel().config().isAutoRead() != read) ctx.channel().config().setAutoRead(read);
    }

    @Override public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable()) {
            core.scheduler().release(queue);
            peer.flushPendingEvents();
        } else {
            core.scheduler().hold(queue);
            server.counters().writePauses++;
            log.debug("{}: send buffer above {} bytes, pausing", peer, limits.writeHighWater());
        }
        updateAutoRead();
        super.channelWritabilityChanged(ctx);
    }

    /** Writes a reply: flushed at the end of the read batch when answered inline, at once otherwise. */
    private void reply(Frame f) {
        if (!ctx.channel().isActive()) {
            log.debug("{}: {} not delivered: connection closed", peer, f);
            return;
        }
        if (inRead) ctx.write(f, ctx.voidPromise());
        else ctx.writeAndFlush(f, ctx.voidPromise());
    }

    private void error(long requestId, int errno, String reason) { error(requestId, errno, reason, false); }

    /** Logs (rate-limited) and answers ERROR; the caller closes after a fatal one. */
    private void error(long requestId, int errno, String reason, boolean fatal) {
        server.counters().badFrames++;
        server.badInput().warn("rejected frame", peer.describe(), "{}: rejected frame (id {}): {} -> ERROR {}{}", peer, requestId, reason,
                XenErrno.name(errno), fatal ? ", closing" : "");
        var f = ctx.writeAndFlush(new Frame(FrameType.ERROR, requestId, ErrorFrame.encode(errno, reason)));
        if (fatal) f.addListener(ChannelFutureListener.CLOSE);
    }

    @Override public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        // one line per client session; a connection that never said HELLO is counted (evictions, handshake timeouts),
        // not logged, so that a connection flood does not become a log flood (finding 7)
        if (caller != null || helloSeen) log.info("{}: disconnected", peer);
        else log.debug("{}: disconnected before HELLO", peer);
        if (handshakeTimer != null) handshakeTimer.cancel(false);
        core.scheduler().close(queue);
        server.closed(this, caller);
        core.xenstore().connectionClosed(this);
        if (arena != null) arena.close();
        super.channelInactive(ctx);
    }

    @Override public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        server.badInput().warn("connection error", peer.describe(), "{}: connection error, closing: {}", peer, cause.toString());
        ctx.close();
    }

    /** Requests read and not yet answered (dispatch thread). */
    int inFlight() { return inFlight; }

    @Override public String toString() { return peer != null ? peer.describe() : queue.toString(); }
}
