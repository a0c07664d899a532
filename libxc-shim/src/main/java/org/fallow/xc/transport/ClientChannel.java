package org.fallow.xc.transport;

import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * The client's connected Unix socket, as {@link GuardedSocket} uses it: JNR-unixsocket's channel, whose descriptor
 * number gives the long-lived roles their fast paths (recv/send without waiting through FFM, {@link DirectSocketIo}; the
 * background reader's epoll set, {@link SocketReadiness}), or, for short toolstack commands
 * ({@link #SHORT_COMMAND}), the JDK's own Unix-socket channel: it is in the launcher's AOT cache with the rest of the
 * JDK, where setting up JNR (jffi's library, JNR's reflective binding of libc, a dynamic proxy class per annotation
 * type it reads) cost {@code ./fallow list} about 60 ms of a 185 ms run (docs/BENCHMARKS.md). A short command sends one
 * request at a time from one thread and never needs the descriptor number.
 */
public interface ClientChannel {
    /**
     * {@code -Dfallow.client.shortCommand=true} (the launcher sets it for short toolstack commands): connections use
     * the JDK's channel, reads and writes block, and neither {@link DirectSocketIo} nor {@link SocketReadiness} is ever
     * initialised (binding their FFM downcalls costs a short-lived JVM about 50 ms of CPU).
     */
    boolean SHORT_COMMAND = Boolean.getBoolean("fallow.client.shortCommand");

    /** read(2): bytes read, -1 at end of stream; blocks until something is there. */
    int read(ByteBuffer dst) throws IOException;

    /** write(2): bytes written; blocks until some fit. */
    int write(ByteBuffer src) throws IOException;

    void shutdownInput() throws IOException;

    void shutdownOutput() throws IOException;

    void close() throws IOException;

    /** The descriptor number, or -1 if this channel does not give it (the JDK's): then no fast path uses it. */
    int fd();

    /**
     * Connects to {@code socket}: the JDK's channel if {@code jdk} (a short command, {@link #SHORT_COMMAND}), else JNR's
     * (as {@link HypervisorConnection} does after checking the socket; bench startup's probes call it directly).
     */
    static ClientChannel connect(Path socket, boolean jdk) throws IOException {
        return jdk ? Jdk.connect(socket) : Jnr.connect(socket);
    }

    /** JNR-unixsocket's channel (its read, write and shutdown act on the raw descriptor: see {@link GuardedSocket}). */
    record Jnr(UnixSocketChannel channel) implements ClientChannel {
        static Jnr connect(Path socket) throws IOException {
            return new Jnr(UnixSocketChannel.open(new UnixSocketAddress(socket.toFile())));
        }

        @Override public int read(ByteBuffer dst) throws IOException { return channel.read(dst); }

        @Override public int write(ByteBuffer src) throws IOException { return channel.write(src); }

        @Override public void shutdownInput() throws IOException { channel.shutdownInput(); }

        @Override public void shutdownOutput() throws IOException { channel.shutdownOutput(); }

        @Override public void close() throws IOException { channel.close(); }

        @Override public int fd() { return channel.getFD(); }
    }

    /**
     * The JDK's Unix-socket channel, blocking. Unlike JNR's it is an interruptible channel: interrupting a thread blocked
     * in it closes the connection (a short command interrupts none of its threads).
     */
    record Jdk(SocketChannel channel) implements ClientChannel {
        /** The system property {@link java.nio.channels.spi.SelectorProvider#provider()} reads first. */
        static final String PROVIDER_PROPERTY = "java.nio.channels.spi.SelectorProvider";
        /** The JDK's own provider on Linux (what the look-up ends with when nothing else is found). */
        static final String JDK_PROVIDER = "sun.nio.ch.EPollSelectorProvider";

        static {
            nameTheJdkProvider();
        }

        /**
         * Names the JDK's own selector provider in {@link #PROVIDER_PROPERTY} unless something is named there already
         * or this JDK does not have it: else the first channel made asks {@link java.util.ServiceLoader} for one, which
         * opens every jar of the class path to look (50 for ./fallow, a quarter of a short command's run when no jar
         * was open yet) and finds none.
         */
        static void nameTheJdkProvider() {
            if (System.getProperty(PROVIDER_PROPERTY) != null) return;
            try {
                Class.forName(JDK_PROVIDER, false, null);
            } catch (ClassNotFoundException notThisJdk) {
                return;
            }
            System.setProperty(PROVIDER_PROPERTY, JDK_PROVIDER);
        }

        static Jdk connect(Path socket) throws IOException {
            return new Jdk(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
        }

        @Override public int read(ByteBuffer dst) throws IOException { return channel.read(dst); }

        @Override public int write(ByteBuffer src) throws IOException { return channel.write(src); }

        @Override public void shutdownInput() throws IOException { channel.shutdownInput(); }

        @Override public void shutdownOutput() throws IOException { channel.shutdownOutput(); }

        @Override public void close() throws IOException { channel.close(); }

        @Override public int fd() { return -1; }
    }
}
