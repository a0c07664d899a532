package org.fallow.xc.transport;

import org.fallow.abi.XenErrno;
import org.fallow.abi.fs.SafeFiles;
import org.fallow.abi.AbiProfile;
import org.fallow.abi.wire.DomainEvent;
import org.fallow.abi.wire.ErrorFrame;
import org.fallow.abi.wire.EvtchnSend;
import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameHeader;
import org.fallow.abi.wire.FrameType;
import org.fallow.abi.wire.Hello;
import org.fallow.abi.wire.HelloAck;
import org.fallow.abi.wire.HypercallFrame;
import org.fallow.abi.wire.MemFault;
import org.fallow.abi.wire.XsSockMsg;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * One client connection to the hypervisor over a Unix socket (JNR-unixsocket), speaking docs/PROTOCOL.md.
 * Responses are demultiplexed by request_id, so requests may be pipelined from any number of threads; unsolicited
 * frames (event-channel notifications, xenstore watch events, domain events) are delivered to listeners on a
 * separate "events" thread, so a listener may itself issue (synchronous) requests.
 * <p>
 * Who reads the socket (leader/follower, {@link ReadRole}): one thread at a time holds the read role. A synchronous
 * call ({@link #hypercall}, {@link #memFault}, xenstore requests) takes the role if it is free, sends its request
 * (without blocking, {@link GuardedSocket#sendNow}: a write that would block gives the role up first, since the
 * hypervisor stops reading a client that does not read its replies) and reads frames until its own reply has come (no
 * hand-off: the reply is read by the thread that wants it), also with listeners registered. Frames it reads that are not its own (other threads' replies, unsolicited frames) are
 * dispatched exactly as the background reader would, and before it gives the role up it dispatches every whole frame
 * it has received. A caller that finds the role taken waits until it is free (then reads for itself) or until the
 * holder has read its reply for it.
 * <p>
 * A background reader thread covers the time no caller reads, while it is needed: while pipelined requests
 * ({@link #hypercallAsync}, {@link #send}) are outstanding, and for good once a listener is registered
 * ({@link #onEvent}, {@link #onDomainEvent}, {@link #onUnsolicitedError}, a xenstore watch). It waits for the socket
 * to become readable in epoll_wait(2) <em>without</em> holding the role ({@link SocketReadiness}), then takes the role
 * only if it is free and no caller waits for it, reads what is there in one read(2) and dispatches the whole frames
 * received; it never sits in read(2) holding the role. While a caller holds the role the reader's interest in the
 * socket is off (else each reply would wake it for nothing) and the caller turns it back on as it leaves. Unsolicited frames therefore reach the events thread as soon
 * as they arrive, whoever reads them, and in socket order with the replies around them: an event received before a
 * reply is handed to the events thread before that reply completes its request.
 * <p>
 * Two flavours: {@link #toolstack} registers a hypercall-buffer arena ({@link HypercallBuffer}); {@link #guest}
 * proves its domain with the domain handle and can report memory faults ({@link #memFault}).
 */
public final class HypervisorConnection implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HypervisorConnection.class);
    public static final long DEFAULT_ARENA_BYTES = 1 << 20;
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);
    /** How long a close waits for threads inside a socket call to return (they are woken by the shutdown first). */
    private static final Duration CLOSE_BOUND = Duration.ofSeconds(5);
    /** How long close waits for the write lock to send BYE (see {@link #sendBye}). */
    private static final Duration BYE_LOCK_BOUND = Duration.ofSeconds(1);
    private static final AtomicLong ARENA_SEQ = new AtomicLong();

    /** The socket; its descriptor is closed only when no thread is inside a call on it ({@link GuardedSocket}). */
    private final GuardedSocket channel;
    private final String name;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final AtomicLong nextId = new AtomicLong(1);
    private final Map<Long, CompletableFuture<Frame>> pending = new ConcurrentHashMap<>();
    /** The events thread: listeners of unsolicited frames, bounded (event-channel notifications coalesce per port). */
    private final EventDelivery events;
    private final Thread reader;
    /** Held by whichever thread is reading the socket (a synchronous caller or the background reader). */
    private final ReadRole role = new ReadRole();
    /**
     * Where the background reader waits for the socket without holding the role: made by the reader when it is first
     * needed (null until then; see the constructor), closed by it when it ends.
     */
    private volatile SocketReadiness readiness;
    /** The socket's descriptor number (named only through {@link GuardedSocket#whileOpen}). */
    private final int fd;
    /** Bytes received and not yet parsed; touched only by the holder of {@link #role}. */
    private final ReceiveBuffer rx = new ReceiveBuffer();
    private final AtomicInteger asyncOutstanding = new AtomicInteger();
    /** Replies of synchronous calls read by a thread other than the caller (diagnostics: {@link #handedOffReplies}). */
    private final LongAdder handedOff = new LongAdder();
    private volatile boolean listening;
    /** The longest wait of the background reader for the socket: a safety bound (closing wakes it at once). */
    private static final int READER_POLL_MILLIS = 1000;
    /** The encoded frame on its way out (direct: send(2) gets its address); touched only with {@link #writeLock} held. */
    private final ByteBuffer tx = ByteBuffer.allocateDirect(FrameHeader.LENGTH + FrameHeader.MAX_PAYLOAD);
    private final HypercallBuffer buffers;
    private final XsClient xs = new XsClient(this);
    /** The ABI profile announced in HELLO. */
    private volatile AbiProfile profile = AbiProfile.XEN_4_12;
    private volatile IntConsumer eventListener = port -> log.debug("EVTCHN_SEND port {} (no listener)", port);
    private volatile BiConsumer<Integer, String> domainEventListener = (e, t) -> log.info("domain event {}: {}", e, t);
    private volatile Consumer<WireErrorException> errorListener = e -> log.warn("unsolicited ERROR: {}", e.getMessage());
    private volatile boolean closed;
    private volatile Throwable failure;
    private HelloAck ack;

    private HypervisorConnection(ClientChannel channel, String name, HypercallBuffer buffers) throws IOException {
        // the background reader's epoll set (SocketReadiness) is made by the reader when it is first needed: a short
        // toolstack command that makes synchronous calls only never creates it (nor its FFM downcalls, see DirectSocketIo)
        this.fd = channel.fd();
        this.channel = new GuardedSocket(channel, name);
        this.name = name;
        this.buffers = buffers;
        this.events = new EventDelivery(name);
        this.reader = new Thread(this::readLoop, name + "-reader");
        reader.setDaemon(true);
        reader.start(); // idles until needed (see the class comment)
    }

    // ---- connecting ---------------------------------------------------------------------------------------------

    /**
     * Connects as the toolstack with a fresh arena of {@code arenaBytes} created in {@code arenaDir}, which must be the
     * hypervisor's run directory (it maps arenas from there only) and is checked first: not a link, not writable by
     * others, ours (docs/SECURITY.md).
     */
    public static HypervisorConnection toolstack(Path socket, Path arenaDir, AbiProfile profile, long arenaBytes) throws IOException {
        return toolstack(socket, arenaDir, profile, arenaBytes, ClientChannel.SHORT_COMMAND);
    }

    /** As {@link #toolstack(Path, Path, AbiProfile, long)}, over the JDK's channel if {@code jdkChannel} ({@link ClientChannel}). */
    static HypervisorConnection toolstack(Path socket, Path arenaDir, AbiProfile profile, long arenaBytes, boolean jdkChannel) throws IOException {
        // no run directory, no hypervisor: say so as a missing socket does, not as the arena file that cannot be made
        if (!Files.exists(arenaDir) && !Files.exists(socket))
            throw new java.io.FileNotFoundException(socket + ": No such file or directory (no run directory " + arenaDir + ")");
        if (Files.exists(arenaDir)) SafeFiles.checkTrustedDir(arenaDir);
        Path file = arenaDir.resolve("xc-" + ProcessHandle.current().pid() + "-" + ARENA_SEQ.incrementAndGet() + ".arena");
        HypercallBuffer buf = HypercallBuffer.create(file, arenaBytes);
        try {
            HypervisorConnection c = new HypervisorConnection(open(socket, jdkChannel), "toolstack", buf);
            c.profile = profile;
            c.handshake(Hello.encode(Hello.ROLE_TOOLSTACK, profile.wireCode(), 0, null, buf.base(), buf.size(), file.toString()));
            return c;
        } catch (IOException | RuntimeException e) {
            try {
                buf.close(); // a refused handshake already released it: keep the refusal, not "already closed"
            } catch (IOException | IllegalStateException alreadyReleased) {
                e.addSuppressed(alreadyReleased);
            }
            throw e;
        }
    }

    /** Toolstack with the default 1 MiB arena next to the socket. */
    public static HypervisorConnection toolstack(Path socket, AbiProfile profile) throws IOException {
        return toolstack(socket, socket.toAbsolutePath().getParent(), profile, DEFAULT_ARENA_BYTES);
    }

    /** Connects as a guest of domain {@code domid}, proving it with the domain handle {@code secret}. */
    public static HypervisorConnection guest(Path socket, int domid, byte[] secret, AbiProfile profile) throws IOException {
        HypervisorConnection c = new HypervisorConnection(open(socket, ClientChannel.SHORT_COMMAND), "guest-d" + domid, null);
        c.profile = profile;
        c.handshake(Hello.encode(Hello.ROLE_GUEST, profile.wireCode(), domid, secret, 0, 0, null), domid);
        return c;
    }

    private static ClientChannel open(Path socket, boolean jdkChannel) throws IOException {
        SafeFiles.checkServerSocket(socket); // never hand a secret or a command to another user's socket
        return ClientChannel.connect(socket, jdkChannel);
    }

    private void handshake(byte[] hello) throws IOException { handshake(hello, -1); }

    /** The hypervisor's refusal of a HELLO in words; {@code guestDomid} &gt;= 0 for a guest's HELLO. */
    static String refusal(int status, int guestDomid) {
        String who = guestDomid >= 0 ? "the hypervisor refused guest d" + guestDomid + ": " : "the hypervisor refused the connection: ";
        String why = switch (-status) {
            case XenErrno.EACCES -> guestDomid >= 0 ? "the secret is not domain " + guestDomid
                    + "'s handle (give the handle that create printed for it)" : "permission denied";
            case XenErrno.ESRCH -> "there is no domain " + guestDomid + " (see ./fallow list)";
            case XenErrno.EOPNOTSUPP -> "it does not speak this ABI profile or role";
            case XenErrno.EINVAL -> "it found the request invalid";
            default -> "handshake refused";
        };
        return who + why + " [" + XenErrno.name(status) + "]";
    }

    private void handshake(byte[] hello, int guestDomid) throws IOException {
        Frame f;
        try {
            f = await(send(FrameType.HELLO, hello), HANDSHAKE_TIMEOUT); // by the background reader: bounded wait
        } catch (IOException | RuntimeException e) {
            closeQuietly();
            throw e;
        }
        ack = new HelloAck().wrap(f.payload());
        if (ack.status() != 0) {
            closeQuietly();
            throw new WireErrorException((int) ack.status(), refusal((int) ack.status(), guestDomid), f.requestId(), true);
        }
        log.debug("{}: connected, run dir {}, {} frames", name, ack.runDir(), ack.nrFrames());
    }

    // ---- requests -----------------------------------------------------------------------------------------------

    /** Issues a hypercall and waits for Xen's return value (negative = negated Xen errno). */
    public long hypercall(long op, long... args) throws IOException {
        return call(FrameType.HYPERCALL, HypercallFrame.encode(op, args)).status();
    }

    /** Issues a hypercall without waiting: pipelined; responses come back in request order. */
    public CompletableFuture<Long> hypercallAsync(long op, long... args) throws IOException {
        return send(FrameType.HYPERCALL, HypercallFrame.encode(op, args)).thenApply(Frame::status);
    }

    /**
     * Guests: reports an access to non-present {@code gfn} and waits until the hypervisor resolved it. Returns 0 (retry
     * the access) or a negated Xen errno (the access fails).
     */
    public long memFault(long gfn, boolean write, int vcpu) throws IOException {
        return call(FrameType.MEM_FAULT, MemFault.encode(gfn, write, vcpu)).status();
    }

    /** Notifies event-channel {@code port} (no response; an invalid port comes back as an unsolicited ERROR). */
    public void sendEvent(int port) throws IOException {
        write(new Frame(FrameType.EVTCHN_SEND, nextId.getAndIncrement(), EvtchnSend.encode(port)));
    }

    /** Sends one xenstore message and waits for the reply (its payload is the reply's xsd_sockmsg). */
    Frame xenstore(int xsType, byte[] body) throws IOException {
        long id = nextId.getAndIncrement();
        return call(id, FrameType.XENSTORE, XsSockMsg.encode(xsType, (int) id, 0, body));
    }

    /**
     * From now on the background reader watches the socket whenever no caller reads it, so unsolicited frames reach
     * their listeners as soon as they arrive.
     */
    void listen() {
        if (listening) return;
        listening = true;
        wakeReader();
    }

    public XsClient xenstore() { return xs; }

    /** Sends a raw frame of {@code type} and returns the future response (tests, low-level use); pipelined. */
    public CompletableFuture<Frame> send(int type, byte[] payload) throws IOException {
        long id = nextId.getAndIncrement();
        CompletableFuture<Frame> f = register(id);
        if (asyncOutstanding.getAndIncrement() == 0) wakeReader();
        f.whenComplete((r, e) -> asyncOutstanding.decrementAndGet());
        transmit(id, type, payload, f);
        return f;
    }

    /** A synchronous request: sent, then its reply read by this thread unless the thread reading before it read it. */
    private Frame call(int type, byte[] payload) throws IOException {
        return call(nextId.getAndIncrement(), type, payload);
    }

    private Frame call(long id, int type, byte[] payload) throws IOException {
        SyncReply f = new SyncReply(Thread.currentThread());
        pending.put(id, f);
        byte[] bytes = new Frame(type, id, payload).encode();
        if (role.heldByCurrentThread()) return nestedCall(id, bytes, f);
        // take the role before sending, so the background reader (woken by our reply) does not read it first
        int held = NOT_HELD;
        try {
            if (role.tryTake()) {
                held = holdRole();
                if (!sendHoldingRole(bytes, held)) held = NOT_HELD;
            } else {
                writeBytes(bytes);
            }
        } catch (IOException e) {
            throw unsent(id, f, e);
        }
        try {
            if (closed) failPending(); // lost a race with the connection ending
            while (!f.isDone()) {
                if (held == NOT_HELD) {
                    try {
                        if (!role.takeOrAwait(f)) break; // read for us by the holder (or failed)
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted waiting for the hypervisor");
                    }
                    try {
                        held = holdRole();
                    } catch (IOException | RuntimeException e) {
                        readerFailed(e);
                        break;
                    }
                }
                try {
                    readUntil(f);
                } catch (IOException | RuntimeException e) {
                    readerFailed(e);
                } finally {
                    releaseRole(held);
                    held = NOT_HELD;
                }
            }
        } finally {
            if (held != NOT_HELD) releaseRole(held);
        }
        return await(f, null);
    }

    /**
     * A call from code that the role's holder runs while dispatching a frame (a callback of a request's future): this
     * thread already reads the socket, so it sends (possibly blocking, as it cannot give the role up in the middle of
     * a dispatch) and reads on until its reply, then the dispatch it interrupted continues with the frames after it.
     */
    private Frame nestedCall(long id, byte[] bytes, SyncReply f) throws IOException {
        try {
            writeBytes(bytes);
        } catch (IOException e) {
            throw unsent(id, f, e);
        }
        if (closed) failPending();
        try {
            readUntil(f);
        } catch (IOException | RuntimeException e) {
            readerFailed(e);
        }
        return await(f, null);
    }

    /** How a caller holds the read role: not at all, or holding it, with the background reader's wait to restore. */
    private static final int NOT_HELD = 0, HELD = 1, HELD_READER_ARMED = 2;

    /**
     * Just after taking the role: switches the background reader's wait on the socket off (it would be woken by every
     * frame we read) and returns how to restore it. On failure the role is given back.
     */
    private int holdRole() throws IOException {
        SocketReadiness readiness = this.readiness;
        if (readiness == null) return HELD; // no background reader has waited yet
        boolean readerWaits = readiness.armed();
        try {
            channel.whileOpen(readiness::disarm);
        } catch (IOException | RuntimeException e) {
            role.release();
            throw e;
        }
        return readerWaits ? HELD_READER_ARMED : HELD;
    }

    /** Gives the role up, rearming the background reader's wait (reported at once if bytes came after our reply). */
    private void releaseRole(int held) {
        try {
            if (held == HELD_READER_ARMED) channel.whileOpen(readiness::arm); // non-null: it was armed
        } catch (IOException | RuntimeException e) {
            readerFailed(e);
        } finally {
            role.release();
        }
    }

    /**
     * Holding the read role: sends a request without blocking and keeps the role (true). A write that could block (the
     * write lock busy, the socket's buffer full) must not keep the socket from being read, since the hypervisor stops
     * reading a client that does not read its replies: then the role is given up first and the rest written as usual
     * (false). On failure the role is given up too.
     */
    private boolean sendHoldingRole(byte[] bytes, int held) throws IOException {
        boolean holding = true;
        try {
            if (bytes.length > tx.capacity() || !writeLock.tryLock()) {
                holding = false;
                releaseRole(held);
                writeBytes(bytes);
                return false;
            }
            try {
                if (closed) throw new ClosedChannelException();
                ByteBuffer b = tx.clear().put(bytes).flip();
                channel.sendNow(b);
                if (!b.hasRemaining()) return true;
                holding = false;
                releaseRole(held);
                while (b.hasRemaining()) channel.write(b);
                return false;
            } finally {
                writeLock.unlock();
            }
        } catch (IOException | RuntimeException e) {
            if (holding) releaseRole(held);
            throw e;
        }
    }

    /** A synchronous call's reply, knowing its caller (to count replies another thread read for it). */
    private static final class SyncReply extends CompletableFuture<Frame> {
        final Thread caller;

        SyncReply(Thread caller) { this.caller = caller; }
    }

    private CompletableFuture<Frame> register(long id) {
        CompletableFuture<Frame> f = new CompletableFuture<>();
        pending.put(id, f);
        return f;
    }

    private void transmit(long id, int type, byte[] payload, CompletableFuture<Frame> f) throws IOException {
        try {
            write(new Frame(type, id, payload));
        } catch (IOException e) {
            throw unsent(id, f, e);
        }
        if (closed) failPending(); // lost a race with the connection ending
    }

    /** A request that could not be sent: no longer pending, its future failed with {@code e}, which is returned to throw. */
    private IOException unsent(long id, CompletableFuture<Frame> f, IOException e) {
        pending.remove(id);
        f.completeExceptionally(e);
        return e;
    }

    private void write(Frame f) throws IOException { writeBytes(f.encode()); }

    private void writeBytes(byte[] bytes) throws IOException {
        if (closed) throw new ClosedChannelException();
        writeLock.lock();
        try {
            ByteBuffer b = bytes.length <= tx.capacity() ? tx.clear().put(bytes).flip() : ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) channel.write(b);
        } finally {
            writeLock.unlock();
        }
    }

    /** Waits for a response; ERROR frames surface as {@link WireErrorException}, a lost connection as IOException. */
    static Frame await(CompletableFuture<Frame> f, Duration timeout) throws IOException {
        try {
            return timeout == null ? f.get() : f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof WireErrorException w) throw new WireErrorException(w.errno(), w.getMessage(), w.requestId());
            if (c instanceof IOException io) throw new IOException(io.getMessage(), io);
            throw new IOException(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for the hypervisor");
        } catch (TimeoutException e) {
            throw new IOException("no answer from the hypervisor within " + timeout);
        }
    }

    // ---- listeners ----------------------------------------------------------------------------------------------

    /**
     * Called (on the events thread) for EVTCHN_SEND frames: once for all notifications of a port that arrived before
     * its call started, as a Xen guest sees one pending bit however often the port was kicked.
     */
    public void onEvent(IntConsumer l) {
        eventListener = l;
        listen();
    }

    /** Called (on the events thread) for DOMAIN_EVENT frames: (event 1 crashed / 2 destroyed, text). */
    public void onDomainEvent(BiConsumer<Integer, String> l) {
        domainEventListener = l;
        listen();
    }

    /** Called (on the events thread) for ERROR frames that answer no pending request. */
    public void onUnsolicitedError(Consumer<WireErrorException> l) {
        errorListener = l;
        listen();
    }

    /** Runs {@code r} on the events thread ({@code what} names it if it has to be dropped: see {@link EventDelivery}). */
    void deliver(Runnable r, String what) { events.other(r, what); }

    /** EVTCHN_SEND notifications merged into one already waiting for their port (diagnostics, tests). */
    long coalescedEvents() { return events.coalesced(); }

    // ---- reading ------------------------------------------------------------------------------------------------

    private boolean readerNeeded() { return listening || asyncOutstanding.get() > 0; }

    private void wakeReader() { role.wakeAll(); }

    /** Wakes the background reader from every wait for good (the connection ended). */
    private void stopReader() {
        role.wakeAll();
        SocketReadiness r = readiness;
        if (r != null) r.wake();
    }

    /**
     * A caller holding the role: reads and dispatches frames until {@code reply} is done, then dispatches every whole
     * frame already received (the background reader waits for the socket, not for this buffer, so none may be left).
     */
    private void readUntil(CompletableFuture<Frame> reply) throws IOException {
        while (!reply.isDone()) {
            Frame f = rx.next();
            if (f != null) dispatch(f);
            else rx.readFrom(channel);
        }
        dispatchReceived();
    }

    private void dispatchReceived() throws IOException {
        for (Frame f; (f = rx.next()) != null; ) dispatch(f);
    }

    /**
     * The background reader: idles until needed; then, holding the role only briefly, reads the socket if it has
     * something (one read(2) that cannot block, the whole frames received dispatched) or else arms the socket's
     * readiness, and waits for it without holding the role.
     */
    private void readLoop() {
        try {
            while (!closed) {
                role.awaitReaderTurn(this::readerNeeded, () -> closed);
                if (closed) break;
                if (fd < 0) {
                    // short commands (one thread, one request at a time; the HELLO is the reader's): no epoll set, no
                    // FFM; the reader reads blocking, holding the role, while it is needed (see ClientChannel)
                    if (!role.tryTakeForReader()) continue;
                    try {
                        if (!closed) {
                            rx.readFrom(channel);
                            dispatchReceived();
                        }
                    } finally {
                        role.release();
                    }
                    continue;
                }
                if (readiness == null) {
                    readiness = channel.whileOpen(() -> new SocketReadiness(fd));
                    if (closed) break; // stopReader may have missed it: the finally closes it
                }
                SocketReadiness readiness = this.readiness;
                if (!role.tryTakeForReader()) continue; // a caller took it first: wait for it to finish
                boolean received;
                try {
                    received = !closed && channel.whileOpen(readiness::readableNow);
                    if (received) {
                        rx.readFrom(channel);
                        dispatchReceived();
                    } else {
                        channel.whileOpen(readiness::arm);
                    }
                } finally {
                    role.release();
                }
                if (!received && !closed) readiness.await(READER_POLL_MILLIS);
            }
        } catch (IOException | RuntimeException e) {
            readerFailed(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            SocketReadiness r = readiness;
            if (r != null) r.close();
        }
    }

    private void readerFailed(Throwable e) {
        if (!closed) {
            failure = e;
            if (e instanceof IOException) log.debug("{}: connection ended: {}", name, e.toString());
            else log.error("{}: reader failed", name, e);
        }
        closed = true;
        failPending();
        stopReader();
    }

    private void dispatch(Frame f) {
        switch (f.type()) {
            case FrameType.EVTCHN_SEND -> {
                int port = new EvtchnSend().wrap(f.payload()).port();
                events.port(port, p -> eventListener.accept(p));
            }
            case FrameType.DOMAIN_EVENT -> {
                DomainEvent e = new DomainEvent().wrap(f.payload());
                int ev = e.event();
                String text = e.text();
                deliver(() -> domainEventListener.accept(ev, text), "DOMAIN_EVENT " + ev);
            }
            case FrameType.XENSTORE -> {
                if (f.requestId() == 0) xs.unsolicited(f);
                else complete(f);
            }
            case FrameType.ERROR -> {
                ErrorFrame e = new ErrorFrame().wrap(f.payload());
                WireErrorException ex = new WireErrorException(e.errno(), e.text(), f.requestId());
                CompletableFuture<Frame> p = f.requestId() == 0 ? null : pending.remove(f.requestId());
                if (p != null) p.completeExceptionally(ex);
                else deliver(() -> errorListener.accept(ex), "unsolicited ERROR " + ex.errno());
            }
            default -> complete(f);
        }
    }

    private void complete(Frame f) {
        CompletableFuture<Frame> p = pending.remove(f.requestId());
        if (p == null) {
            log.warn("{}: {} answers no pending request", name, f);
            return;
        }
        if (p instanceof SyncReply s && s.caller != Thread.currentThread()) handedOff.increment();
        p.complete(f);
    }

    /**
     * How many replies of synchronous calls another thread read for the caller (the background reader or another
     * caller holding the read role), since the connection opened: each is a hand-off (the caller was woken), 0 when
     * every caller read its own reply.
     */
    public long handedOffReplies() { return handedOff.sum(); }

    /** The thread holding the read role, or null (tests). */
    Thread readRoleHolder() { return role.holder(); }

    private void failPending() {
        Throwable why = failure;
        IOException e = new IOException("connection to the hypervisor closed" + (why != null ? ": " + why.getMessage() : ""));
        for (Long id : pending.keySet()) {
            CompletableFuture<Frame> p = pending.remove(id);
            if (p != null) p.completeExceptionally(e);
        }
    }

    // ---- state --------------------------------------------------------------------------------------------------

    /** The arena of a toolstack connection (null for guests). */
    public HypercallBuffer buffers() { return buffers; }

    /** The ABI profile this connection announced (4.12 or the 2009 tmem ABI). */
    public AbiProfile profile() { return profile; }

    /** HELLO_ACK: guest's frame count or host pages. */
    public long nrFrames() { return ack.nrFrames(); }

    /** HELLO_ACK: the hypervisor's run directory. */
    public Path runDir() { return Path.of(ack.runDir()); }

    /** HELLO_ACK: the caller's domain (guests) or 0. */
    public int domid() { return ack.domid(); }

    public boolean isOpen() { return !closed; }

    /** Sends BYE and closes; pending requests fail with IOException. */
    @Override public void close() {
        if (!closed) sendBye();
        closeQuietly();
    }

    /**
     * BYE, if it can go without waiting: the write lock within {@link #BYE_LOCK_BOUND} (a sender stuck in write(2)
     * behind a hypervisor that stopped reading us holds it; the shutdown in {@link #closeQuietly} then frees it) and the
     * frame into the socket's buffer at once. A BYE not sent is no loss: the hypervisor ends the connection at EOF too.
     */
    private void sendBye() {
        try {
            if (!writeLock.tryLock(BYE_LOCK_BOUND.toMillis(), TimeUnit.MILLISECONDS)) {
                log.debug("{}: BYE not sent: a sender is blocked in write", name);
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        try {
            ByteBuffer b = tx.clear().put(Frame.of(FrameType.BYE, 0).encode()).flip();
            if (fd < 0) channel.write(b); // short commands: one request at a time, the buffer has room
            else channel.sendNow(b);
            if (b.hasRemaining()) log.debug("{}: BYE not sent whole: the socket's buffer is full", name);
        } catch (IOException e) {
            log.debug("{}: BYE not sent: {}", name, e.toString());
        } finally {
            writeLock.unlock();
        }
    }

    private void closeQuietly() {
        closed = true;
        stopReader();
        // shuts the socket down (a blocked read returns), waits for calls in progress, closes the descriptor; once only:
        // a second close must not shut down whatever socket has since been given the same descriptor number
        channel.close(CLOSE_BOUND);
        if (Thread.currentThread() != reader) {
            try {
                reader.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        failPending();
        events.shutdown();
        if (buffers != null) {
            try {
                buffers.close();
            } catch (IOException | IllegalStateException e) {
                log.debug("{}: arena not released: {}", name, e.toString());
            }
        }
    }

    /** The socket's descriptor number while it is open, else -1 (tests). */
    int descriptor() { return channel.descriptor(); }

    @Override public String toString() { return name + (closed ? " (closed)" : ""); }
}
