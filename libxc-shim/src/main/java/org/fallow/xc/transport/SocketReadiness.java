package org.fallow.xc.transport;

import org.fallow.abi.sys.Downcalls;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Waits for one socket to become readable without reading it, through java.lang.foreign: an epoll(7) set holding the
 * socket and an eventfd. {@link HypervisorConnection}'s background reader waits here without holding the read role, so
 * a synchronous caller can take the role and read its own reply at any time.
 * <p>
 * The socket's interest is switched off while a caller reads it ({@link #disarm}) and on again when the caller is done
 * ({@link #arm}; epoll reports at once if bytes arrived meanwhile): otherwise every reply a caller reads would also wake
 * the waiting reader, which would find the role taken and go back to sleep, two thread wake-ups per call. Both are
 * called by the holder of the read role only. {@link #wake} (the eventfd) ends a wait for good when the connection
 * closes. {@link #readableNow} looks at the socket with poll(2). The calls that name the socket's descriptor
 * ({@link #arm}, {@link #disarm}, {@link #readableNow}) are made through {@link GuardedSocket#whileOpen}.
 */
final class SocketReadiness implements AutoCloseable {
    /** Linux constants (sys/epoll.h, poll.h, sys/eventfd.h). */
    private static final int EPOLL_CTL_ADD = 1, EPOLL_CTL_MOD = 3, EPOLLIN = 0x1, EPOLL_CLOEXEC = 0x80000, EFD_CLOEXEC = 0x80000;
    private static final short POLLIN = 0x1, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20;
    private static final int EINTR = 4;
    /** struct epoll_event is 12 bytes on x86_64 (packed), 16 elsewhere: room for the larger; only events is used. */
    private static final long EPOLL_EVENT_BYTES = 16, WAIT_EVENTS = 2;

    private static final StructLayout POLLFD = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("fd"), ValueLayout.JAVA_SHORT.withName("events"), ValueLayout.JAVA_SHORT.withName("revents"));
    private static final VarHandle PFD_FD = POLLFD.varHandle(MemoryLayout.PathElement.groupElement("fd"));
    private static final VarHandle PFD_EVENTS = POLLFD.varHandle(MemoryLayout.PathElement.groupElement("events"));
    private static final VarHandle PFD_REVENTS = POLLFD.varHandle(MemoryLayout.PathElement.groupElement("revents"));

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final MethodHandle EPOLL_CREATE1 = Downcalls.withErrno("epoll_create1", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle EPOLL_CTL = Downcalls.withErrno("epoll_ctl", FunctionDescriptor.of(INT, INT, INT, INT, ValueLayout.ADDRESS));
    private static final MethodHandle EPOLL_WAIT = Downcalls.withErrno("epoll_wait", FunctionDescriptor.of(INT, INT, ValueLayout.ADDRESS, INT, INT));
    private static final MethodHandle EVENTFD = Downcalls.withErrno("eventfd", FunctionDescriptor.of(INT, INT, INT));
    private static final MethodHandle WRITE = Downcalls.withErrno("write", FunctionDescriptor.of(ValueLayout.JAVA_LONG, INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle CLOSE = Downcalls.plain("close", FunctionDescriptor.of(INT, INT));
    /** {@code int poll(struct pollfd *fds, nfds_t nfds, int timeout)}; nfds_t is an unsigned long on Linux. */
    private static final MethodHandle POLL = Downcalls.withErrno("poll", FunctionDescriptor.of(INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, INT));


    private final int socket;
    private final int epfd;
    private final int wakeFd;
    /** Freed by the garbage collector: a caller late in {@link #setInterest} never touches freed memory. */
    private final Arena arena = Arena.ofAuto();
    /** Each segment is used by one thread at a time: ctl by the role holder, wait and pollfd by the reader, wake by closers (synchronized). */
    private final MemorySegment ctlEvent = arena.allocate(EPOLL_EVENT_BYTES, 8);
    private final MemorySegment waitEvents = arena.allocate(EPOLL_EVENT_BYTES * WAIT_EVENTS, 8);
    private final MemorySegment pollfd = arena.allocate(POLLFD);
    private final MemorySegment wakeValue = arena.allocate(ValueLayout.JAVA_LONG);
    private final MemorySegment ctlState = Downcalls.callState(arena);
    private final MemorySegment readerState = Downcalls.callState(arena);
    private final MemorySegment wakeState = Downcalls.callState(arena);
    /** The socket's interest is on (touched by the role holder only). */
    private boolean armed;
    private volatile boolean closed;

    SocketReadiness(int socket) throws IOException {
        this.socket = socket;
        int ep = -1, ev = -1;
        try {
            ep = check((int) EPOLL_CREATE1.invokeExact(ctlState, EPOLL_CLOEXEC), ctlState, "epoll_create1");
            ev = check((int) EVENTFD.invokeExact(ctlState, 0, EFD_CLOEXEC), ctlState, "eventfd");
            ctl(ep, EPOLL_CTL_ADD, ev, EPOLLIN);
            ctl(ep, EPOLL_CTL_ADD, socket, 0); // registered, interest off until the reader arms it
        } catch (Throwable t) {
            closeFd(ep);
            closeFd(ev);
            if (t instanceof IOException io) throw io;
            throw new IOException("epoll set for the connection not created", t);
        }
        epfd = ep;
        wakeFd = ev;
        PFD_FD.set(pollfd, 0L, socket);
        PFD_EVENTS.set(pollfd, 0L, POLLIN);
    }

    private void ctl(int ep, int op, int fd, int events) throws IOException {
        ctlEvent.fill((byte) 0);
        ctlEvent.set(INT, 0, events);
        try {
            check((int) EPOLL_CTL.invokeExact(ctlState, ep, op, fd, ctlEvent), ctlState, "epoll_ctl");
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("epoll_ctl downcall failed", t);
        }
    }

    private static int check(int rc, MemorySegment state, String what) throws IOException {
        if (rc < 0) throw new IOException(what + " failed, errno " + Downcalls.errno(state));
        return rc;
    }

    /** Interest in the socket on (the read role's holder, giving it up to the waiting reader); returns null. */
    Void arm() throws IOException {
        setInterest(true);
        return null;
    }

    /** Interest in the socket off (the read role's holder, about to read it itself); returns null. */
    Void disarm() throws IOException {
        setInterest(false);
        return null;
    }

    boolean armed() { return armed; }

    /** Synchronized with {@link #close}: never an epoll_ctl on a descriptor number closed (and perhaps reused). */
    private synchronized void setInterest(boolean on) throws IOException {
        if (armed == on || closed) return;
        ctl(epfd, EPOLL_CTL_MOD, socket, on ? EPOLLIN : 0);
        armed = on;
    }

    /**
     * Waits up to {@code timeoutMillis} for the socket (if armed) to be readable or for {@link #wake}. Returns whether
     * something was reported; the caller looks at the socket with {@link #readableNow} under the read role.
     */
    boolean await(int timeoutMillis) throws IOException {
        int rc;
        try {
            rc = (int) EPOLL_WAIT.invokeExact(readerState, epfd, waitEvents, (int) WAIT_EVENTS, timeoutMillis);
        } catch (Throwable t) {
            throw new IOException("epoll_wait downcall failed", t);
        }
        if (rc < 0 && Downcalls.errno(readerState) != EINTR) check(rc, readerState, "epoll_wait");
        return rc > 0;
    }

    /** Whether a read(2) of the socket would not block now (bytes, end-of-file or an error to report). */
    boolean readableNow() throws IOException {
        PFD_REVENTS.set(pollfd, 0L, (short) 0);
        int rc;
        try {
            rc = (int) POLL.invokeExact(readerState, pollfd, 1L, 0);
        } catch (Throwable t) {
            throw new IOException("poll downcall failed", t);
        }
        if (rc < 0) {
            if (Downcalls.errno(readerState) == EINTR) return false;
            check(rc, readerState, "poll");
        }
        if (rc == 0) return false;
        short revents = (short) PFD_REVENTS.get(pollfd, 0L);
        if ((revents & POLLNVAL) != 0) throw new IOException("poll: the socket is no longer open");
        return (revents & (POLLIN | POLLERR | POLLHUP)) != 0;
    }

    /** Ends the reader's current and every later {@link #await} at once (the connection is closing). */
    synchronized void wake() {
        if (closed) return;
        wakeValue.set(ValueLayout.JAVA_LONG, 0, 1L);
        try {
            long rc = (long) WRITE.invokeExact(wakeState, wakeFd, wakeValue, 8L);
            if (rc < 0) check((int) rc, wakeState, "eventfd write");
        } catch (Throwable t) {
            // best effort: the reader's wait is bounded anyway
        }
    }

    /** Frees the epoll set and the eventfd (the reader, when it ends); later arm/disarm/wake do nothing. */
    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        closeFd(epfd);
        closeFd(wakeFd);
    }

    private static void closeFd(int fd) {
        if (fd < 0) return;
        try {
            int rc = (int) CLOSE.invokeExact(fd);
        } catch (Throwable ignored) {
            // nothing to do
        }
    }
}
