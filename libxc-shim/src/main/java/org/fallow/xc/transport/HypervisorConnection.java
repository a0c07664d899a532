package org.fallow.xc.transport;

import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
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

import java.io.EOFException;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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
 * Who reads the socket: a synchronous call ({@link #hypercall}, {@link #memFault}, xenstore requests) reads its own
 * reply in the calling thread when no other thread is reading (no hand-off: the reply wakes the caller directly).
 * A background reader thread reads only while it is needed: while pipelined requests ({@link #hypercallAsync},
 * {@link #send}) are outstanding, while a synchronous caller waits behind another reader, or for good once a
 * listener is registered ({@link #onEvent}, {@link #onDomainEvent}, {@link #onUnsolicitedError}, a xenstore watch);
 * then synchronous calls take their reply from it. Frames a caller reads that are not its own (other threads'
 * replies, unsolicited frames) are dispatched exactly as the background reader would.
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
    private static final AtomicLong ARENA_SEQ = new AtomicLong();

    /** The socket; its descriptor is closed only when no thread is inside a call on it ({@link GuardedSocket}). */
    private final GuardedSocket channel;
    private final String name;
    private final Object writeLock = new Object();
    private final AtomicLong nextId = new AtomicLong(1);
    private final Map<Long, CompletableFuture<Frame>> pending = new ConcurrentHashMap<>();
    private final ExecutorService events;
    private final Thread reader;
    /** Held by whichever thread is reading the socket (a synchronous caller or the background reader). */
    private final ReentrantLock readLock = new ReentrantLock();
    private final Object readerWakeup = new Object();
    private final AtomicInteger asyncOutstanding = new AtomicInteger();
    private final AtomicInteger syncWaiting = new AtomicInteger();
    private volatile boolean listening;
    /** Room for a few whole frames: a frame is at most a header plus {@link FrameHeader#MAX_PAYLOAD}. */
    static final int RX_BYTES = 4 * (FrameHeader.LENGTH + FrameHeader.MAX_PAYLOAD);
    /**
     * Bytes read from the socket and not yet parsed (position..limit), touched only with {@link #readLock} held: one
     * read(2) takes a whole reply (header and payload) and whatever follows it, instead of one read per part.
     * (jnr-unixsocket 0.39 still reads into a heap array of {@code remaining()} bytes and copies it here: direct or
     * not, the kernel never sees this buffer's address.)
     */
    private final ByteBuffer rx = ByteBuffer.allocateDirect(RX_BYTES).limit(0);
    private final byte[] header = new byte[FrameHeader.LENGTH];
    private final FrameHeader headerView = new FrameHeader().wrap(header);
    /** The encoded frame on its way out (direct, as {@link #rx}); touched only with {@link #writeLock} held. */
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

    private HypervisorConnection(UnixSocketChannel channel, String name, HypercallBuffer buffers) {
        this.channel = new GuardedSocket(channel, name);
        this.name = name;
        this.buffers = buffers;
        this.events = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name + "-events");
            t.setDaemon(true);
            return t;
        });
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
        if (Files.exists(arenaDir)) SafeFiles.checkTrustedDir(arenaDir);
        Path file = arenaDir.resolve("xc-" + ProcessHandle.current().pid() + "-" + ARENA_SEQ.incrementAndGet() + ".arena");
        HypercallBuffer buf = HypercallBuffer.create(file, arenaBytes);
        try {
            HypervisorConnection c = new HypervisorConnection(open(socket), "toolstack", buf);
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
        HypervisorConnection c = new HypervisorConnection(open(socket), "guest-d" + domid, null);
        c.profile = profile;
        c.handshake(Hello.encode(Hello.ROLE_GUEST, profile.wireCode(), domid, secret, 0, 0, null), domid);
        return c;
    }

    private static UnixSocketChannel open(Path socket) throws IOException {
        SafeFiles.checkServerSocket(socket); // never hand a secret or a command to another user's socket
        return UnixSocketChannel.open(new UnixSocketAddress(socket.toFile()));
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

    /** From now on a background reader keeps reading, so unsolicited frames reach their listeners at once. */
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

    /** A synchronous request: sent, then its reply read by this thread if no other thread is reading. */
    private Frame call(int type, byte[] payload) throws IOException {
        return call(nextId.getAndIncrement(), type, payload);
    }

    private Frame call(long id, int type, byte[] payload) throws IOException {
        CompletableFuture<Frame> f = register(id);
        transmit(id, type, payload, f);
        while (!f.isDone()) {
            if (readLock.tryLock()) {
                try {
                    while (!f.isDone()) readOne();
                } catch (IOException | RuntimeException e) {
                    readerFailed(e);
                } finally {
                    readLock.unlock();
                }
            } else {
                // another thread reads the socket: it completes our future (the background reader stays on while we wait)
                if (syncWaiting.getAndIncrement() == 0) wakeReader();
                try {
                    return await(f, null);
                } finally {
                    syncWaiting.decrementAndGet();
                }
            }
        }
        return await(f, null);
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
            pending.remove(id);
            f.completeExceptionally(e);
            throw e;
        }
        if (closed) failPending(); // lost a race with the connection ending
    }

    private void write(Frame f) throws IOException {
        if (closed) throw new ClosedChannelException();
        byte[] bytes = f.encode();
        synchronized (writeLock) {
            ByteBuffer b = bytes.length <= tx.capacity() ? tx.clear().put(bytes).flip() : ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) channel.write(b);
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

    /** Called (on the events thread) for every EVTCHN_SEND the hypervisor sends. */
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

    void deliver(Runnable r) {
        try {
            events.execute(r);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            log.debug("{}: event after close dropped", name);
        }
    }

    // ---- reader -------------------------------------------------------------------------------------------------

    private boolean readerNeeded() { return listening || asyncOutstanding.get() > 0 || syncWaiting.get() > 0; }

    private void wakeReader() {
        synchronized (readerWakeup) {
            readerWakeup.notifyAll();
        }
    }

    /** The background reader: idles until needed, then reads frames one at a time while it is. */
    private void readLoop() {
        try {
            while (!closed) {
                synchronized (readerWakeup) {
                    while (!closed && !readerNeeded()) readerWakeup.wait();
                }
                if (closed) break;
                readLock.lock();
                try {
                    if (!closed && readerNeeded()) readOne();
                } finally {
                    readLock.unlock();
                }
            }
        } catch (IOException | RuntimeException e) {
            readerFailed(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads one frame and dispatches it (call with {@link #readLock} held). */
    private void readOne() throws IOException {
        fill(FrameHeader.LENGTH);
        rx.get(header);
        FrameHeader.Rejection bad = headerView.check(FrameHeader.LENGTH);
        if (bad != null) throw new IOException("bad frame from the hypervisor: " + bad.reason());
        byte[] payload = new byte[(int) headerView.length()]; // <= MAX_PAYLOAD: check() refuses more
        fill(payload.length);
        rx.get(payload);
        dispatch(new Frame(headerView.type(), headerView.requestId(), payload));
    }

    private void readerFailed(Throwable e) {
        if (!closed) {
            failure = e;
            if (e instanceof IOException) log.debug("{}: connection ended: {}", name, e.toString());
            else log.error("{}: reader failed", name, e);
        }
        closed = true;
        failPending();
        wakeReader();
    }

    /** Reads until {@link #rx} holds at least {@code n} (<= {@link #RX_BYTES}) unparsed bytes. */
    private void fill(int n) throws IOException {
        if (rx.remaining() >= n) return;
        rx.compact();
        try {
            while (rx.position() < n) {
                if (channel.read(rx) < 0) throw new EOFException("hypervisor closed the connection");
            }
        } finally {
            rx.flip();
        }
    }

    private void dispatch(Frame f) {
        switch (f.type()) {
            case FrameType.EVTCHN_SEND -> {
                int port = new EvtchnSend().wrap(f.payload()).port();
                deliver(() -> eventListener.accept(port));
            }
            case FrameType.DOMAIN_EVENT -> {
                DomainEvent e = new DomainEvent().wrap(f.payload());
                int ev = e.event();
                String text = e.text();
                deliver(() -> domainEventListener.accept(ev, text));
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
                else deliver(() -> errorListener.accept(ex));
            }
            default -> complete(f);
        }
    }

    private void complete(Frame f) {
        CompletableFuture<Frame> p = pending.remove(f.requestId());
        if (p == null) log.warn("{}: {} answers no pending request", name, f);
        else p.complete(f);
    }

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
        if (!closed) {
            try {
                write(Frame.of(FrameType.BYE, 0));
            } catch (IOException e) {
                log.debug("{}: BYE not sent: {}", name, e.toString());
            }
        }
        closeQuietly();
    }

    private void closeQuietly() {
        closed = true;
        wakeReader();
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
