package org.fallow.xc.transport;

import jnr.unixsocket.UnixSocketChannel;
import org.fallow.abi.sys.Poller;
import org.fallow.abi.sys.SpinPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The client's Unix socket, whose file descriptor is closed only when no thread is inside a call on it.
 * <p>
 * JNR's read, write and shutdown act on the raw descriptor number and never check that the channel is still open,
 * and after a close(2) the process gives that number to the next socket or file it opens: in tests and benchmarks
 * the in-process hypervisor's accepted sockets and guest memory files, another connection's socket. A call racing
 * the close, or a shutdown repeated by a second close, would read another connection's bytes, write into its stream
 * or shut it down. So every call here holds the shared side of {@link #lock} and checks {@link #closed}; {@link #close}
 * first shuts both directions down while the descriptor is still ours (a thread blocked in read(2) gets end-of-stream,
 * one blocked in write(2) gets EPIPE), then takes the exclusive side: the descriptor is closed after every call in
 * progress has returned, and a call that starts later gets {@link ClosedChannelException} without touching it.
 * The JDK's channel (short commands, {@link ClientChannel.Jdk}) guards its descriptor itself; it goes through the same
 * lock, which costs a one-request-at-a-time command nothing measurable.
 */
final class GuardedSocket {
    private static final Logger log = LoggerFactory.getLogger(GuardedSocket.class);

    private final ClientChannel channel;
    /** The descriptor number, -1 if the channel does not give it ({@link ClientChannel.Jdk}: no fast paths then). */
    private final int fd;
    private final String name;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final AtomicBoolean closing = new AtomicBoolean();
    /** The descriptor has been closed (guarded by {@link #lock}: written with the exclusive side held). */
    private boolean closed;

    /** A read's poll before it blocks (the machine's policy; tests give their own); readers are one at a time. */
    private final Poller poller;

    GuardedSocket(ClientChannel channel, String name) { this(channel, name, SpinPolicy.system()); }

    /** JNR's channel (tests). */
    GuardedSocket(UnixSocketChannel channel, String name) { this(new ClientChannel.Jnr(channel), name); }

    /** JNR's channel with its own poll policy (tests). */
    GuardedSocket(UnixSocketChannel channel, String name, SpinPolicy spin) { this(new ClientChannel.Jnr(channel), name, spin); }

    GuardedSocket(ClientChannel channel, String name, SpinPolicy spin) {
        this.channel = channel;
        this.fd = channel.fd();
        this.name = name;
        this.poller = new Poller(spin);
    }

    /**
     * read(2) into {@code dst}, as {@link UnixSocketChannel#read}: -1 at end of stream. A direct buffer is read into
     * in place ({@link DirectSocketIo}), not through JNR's heap copy, and when {@link SpinPolicy#mayPoll} allows,
     * polled for (recv without waiting) up to the policy's window before the read blocks: a reply that
     * comes within the window then costs no wake-up of this thread's halted vCPU. A close during the poll is seen at
     * once (the shutdown makes recv return end-of-stream).
     */
    int read(ByteBuffer dst) throws IOException {
        Lock l = enterOpen();
        try {
            if (!dst.isDirect() || fd < 0) return channel.read(dst);
            if (!dst.hasRemaining()) return 0;
            int n = poller.poll(() -> DirectSocketIo.readNow(fd, dst));
            if (n != 0) return n;
            DirectSocketIo.awaitReadable(fd);
            return DirectSocketIo.read(fd, dst);
        } finally {
            l.unlock();
        }
    }

    /** send(2) from direct buffer {@code src} without waiting: the bytes that fit now (0 if none), see {@link DirectSocketIo#sendNow}. */
    int sendNow(ByteBuffer src) throws IOException {
        Lock l = enterOpen();
        try {
            return fd < 0 ? 0 : DirectSocketIo.sendNow(fd, src); // 0: the caller writes blocking
        } finally {
            l.unlock();
        }
    }

    /**
     * The shared side of {@link #lock}, held, if the descriptor is still open (the caller unlocks it when its call
     * has returned); else {@link ClosedChannelException}, nothing held.
     */
    private Lock enterOpen() throws ClosedChannelException {
        Lock l = lock.readLock();
        l.lock();
        if (closed) {
            l.unlock();
            throw new ClosedChannelException();
        }
        return l;
    }

    /** A call that uses the socket's descriptor number (poll(2), epoll_ctl(2) on it). */
    interface DescriptorCall<T> {
        T call() throws IOException;
    }

    /** Runs {@code c} while the descriptor number is still this socket's: as the other calls here, under the shared side. */
    <T> T whileOpen(DescriptorCall<T> c) throws IOException {
        Lock l = enterOpen();
        try {
            return c.call();
        } finally {
            l.unlock();
        }
    }

    /** write(2) from {@code src}, as {@link UnixSocketChannel#write}. */
    int write(ByteBuffer src) throws IOException {
        Lock l = enterOpen();
        try {
            return channel.write(src);
        } finally {
            l.unlock();
        }
    }

    /** The descriptor number while open, else -1 (tests). */
    int descriptor() {
        Lock l = lock.readLock();
        l.lock();
        try {
            return closed ? -1 : fd;
        } finally {
            l.unlock();
        }
    }

    boolean isClosed() {
        Lock l = lock.readLock();
        l.lock();
        try {
            return closed;
        } finally {
            l.unlock();
        }
    }

    /**
     * Shuts the socket down both ways, waits up to {@code bound} for the calls in progress to return and closes the
     * descriptor. Only the first call does anything. If a call is still inside after {@code bound}, the descriptor is
     * left open (logged): a leaked descriptor costs one entry, one closed under a running call could hit any file.
     * Returns whether this call closed it.
     */
    boolean close(Duration bound) {
        if (!closing.compareAndSet(false, true)) return false;
        Lock shared = lock.readLock();
        shared.lock();
        try {
            if (!closed) shutdownBothWays();
        } finally {
            shared.unlock();
        }
        Lock exclusive = lock.writeLock();
        boolean locked;
        try {
            locked = exclusive.tryLock(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            locked = false;
        }
        if (!locked) {
            log.warn("{}: a thread is still inside a socket call after {}; its descriptor is left open", name, bound);
            return false;
        }
        try {
            closed = true;
            channel.close();
        } catch (IOException e) {
            log.debug("{}: close: {}", name, e.toString());
        } finally {
            exclusive.unlock();
        }
        return true;
    }

    private void shutdownBothWays() {
        try {
            channel.shutdownInput();
        } catch (IOException | RuntimeException e) {
            log.debug("{}: shutdown (read): {}", name, e.toString());
        }
        try {
            channel.shutdownOutput();
        } catch (IOException | RuntimeException e) {
            log.debug("{}: shutdown (write): {}", name, e.toString());
        }
    }
}
