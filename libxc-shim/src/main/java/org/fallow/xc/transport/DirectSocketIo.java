package org.fallow.xc.transport;

import org.fallow.abi.XenErrno;
import org.fallow.abi.sys.Downcalls;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;

/**
 * read(2) and send(2) on a socket descriptor with direct buffers, through java.lang.foreign: the kernel gets the
 * buffer's address (jnr-unixsocket 0.39 reads and writes through a fresh heap array of {@code remaining()} bytes and
 * copies it, which for the client's 32 KiB receive buffer is a 32 KiB allocation per read). {@link #sendNow} never
 * waits ({@code MSG_DONTWAIT}): a caller holding the connection's read role sends its request with it, so it never
 * blocks in a write while nobody may read the socket. Callers go through {@link GuardedSocket}, which makes sure the
 * descriptor number is still the socket's.
 */
final class DirectSocketIo {
    private DirectSocketIo() {}

    /** Linux constants (sys/socket.h, errno.h; EAGAIN is the same number in Xen's errno.h). */
    private static final int MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000;
    private static final int EINTR = 4, EAGAIN = XenErrno.EAGAIN;
    /** Retries of a call interrupted by a signal before it moved any byte. */
    private static final int MAX_EINTR_RETRIES = 100;

    private static final MethodHandle SEND = Downcalls.withErrno("send",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle RECV = Downcalls.withErrno("recv",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle READ = Downcalls.withErrno("read",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle POLL = Downcalls.withErrno("poll",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    /** poll.h: {@code struct pollfd { int fd; short events; short revents; }}, POLLIN. */
    private static final int POLLFD_BYTES = 8, POLLFD_EVENTS = 4, POLLFD_REVENTS = 6;
    private static final short POLLIN = 1;
    /** Each thread's pollfd (freed with it). */
    private static final ThreadLocal<MemorySegment> POLLFD = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(POLLFD_BYTES, 8));

    /**
     * Waits in poll(2) until {@code fd} is readable (or hung up, or in error; a signal ends the wait early), before a
     * blocking {@link #read}. A task asleep in read(2) on a Unix socket is woken by every event of the socket's wait
     * queue, including "write space" when the peer takes the request this client sent (its buffer is freed): on one
     * core that wake-up finds nothing to read and often preempts the hypervisor before it can answer. poll(2) waits
     * for POLLIN only, so that wake-up passes it by: one more system call, ~1-2 µs less per pinned round trip
     * (docs/BENCHMARKS.md, "the pinned gap").
     */
    static void awaitReadable(int fd) throws IOException {
        MemorySegment state = STATE.get();
        MemorySegment pfd = POLLFD.get();
        pfd.set(ValueLayout.JAVA_INT, 0, fd);
        pfd.set(ValueLayout.JAVA_SHORT, POLLFD_EVENTS, POLLIN);
        pfd.set(ValueLayout.JAVA_SHORT, POLLFD_REVENTS, (short) 0);
        try {
            int unused = (int) POLL.invokeExact(state, pfd, 1L, -1); // an error or EINTR: the read below decides
        } catch (Throwable t) {
            throw new IOException("poll downcall failed", t);
        }
    }

    /** errno of the calling thread's last call (each thread its own, freed with it). */
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Downcalls.callState(Arena.ofAuto()));

    /**
     * Reads into direct buffer {@code dst} from its position, up to its limit, waiting for at least one byte (a blocking
     * socket); advances the position. Returns the bytes read, -1 at end of stream.
     */
    static int read(int fd, ByteBuffer dst) throws IOException {
        MemorySegment state = STATE.get();
        MemorySegment into = MemorySegment.ofBuffer(dst);
        for (int attempt = 0; ; attempt++) {
            long n;
            try {
                n = (long) READ.invokeExact(state, fd, into, into.byteSize());
            } catch (Throwable t) {
                throw new IOException("read downcall failed", t);
            }
            if (n > 0) {
                dst.position(dst.position() + (int) n);
                return (int) n;
            }
            if (n == 0) return into.byteSize() == 0 ? 0 : -1;
            int errno = Downcalls.errno(state);
            if (errno != EINTR || attempt >= MAX_EINTR_RETRIES) throw new IOException("read from the hypervisor failed, errno " + errno);
        }
    }

    /**
     * recv(2) into direct buffer {@code dst} from its position, up to its limit, never waiting ({@code MSG_DONTWAIT});
     * advances the position. Returns the bytes read, 0 if none are there yet (or a signal came first), -1 at end of
     * stream.
     */
    static int readNow(int fd, ByteBuffer dst) throws IOException {
        MemorySegment state = STATE.get();
        MemorySegment into = MemorySegment.ofBuffer(dst);
        long n;
        try {
            n = (long) RECV.invokeExact(state, fd, into, into.byteSize(), MSG_DONTWAIT);
        } catch (Throwable t) {
            throw new IOException("recv downcall failed", t);
        }
        if (n > 0) {
            dst.position(dst.position() + (int) n);
            return (int) n;
        }
        if (n == 0) return into.byteSize() == 0 ? 0 : -1;
        int errno = Downcalls.errno(state);
        if (errno == EAGAIN || errno == EINTR) return 0;
        throw new IOException("read from the hypervisor failed, errno " + errno);
    }

    /**
     * Sends the bytes of direct buffer {@code src} from its position to its limit, as many as fit in the socket's
     * buffer now, never waiting, and advances the position past them. Returns the number sent: 0 when the buffer is
     * full (or a signal came first).
     */
    static int sendNow(int fd, ByteBuffer src) throws IOException {
        MemorySegment state = STATE.get();
        MemorySegment bytes = MemorySegment.ofBuffer(src);
        long n;
        try {
            n = (long) SEND.invokeExact(state, fd, bytes, bytes.byteSize(), MSG_DONTWAIT | MSG_NOSIGNAL);
        } catch (Throwable t) {
            throw new IOException("send downcall failed", t);
        }
        if (n < 0) {
            int errno = Downcalls.errno(state);
            if (errno == EAGAIN || errno == EINTR) return 0;
            throw new IOException("send to the hypervisor failed, errno " + errno);
        }
        src.position(src.position() + (int) n);
        return (int) n;
    }
}
