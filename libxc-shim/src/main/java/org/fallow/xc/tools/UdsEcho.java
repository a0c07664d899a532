package org.fallow.xc.tools;

import org.fallow.abi.sys.Poller;
import org.fallow.abi.sys.SpinPolicy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The floor of {@code bench rtt} as a separate process: a JDK Unix-socket server that answers every
 * {@code request}-byte message with {@code reply} bytes, one client at a time, until its parent closes stdin. Run as
 * {@code java -cp … org.fallow.xc.tools.UdsEcho SOCKET REQUEST_BYTES REPLY_BYTES [poll]}: the same process boundary as
 * a hypercall to the hypervisor (an in-process echo thread switches threads, not address spaces). It reads blocking,
 * or with {@code poll} as the hypervisor and its clients wait: polling (non-blocking reads) for up to the machine's
 * {@link SpinPolicy} window when it allows, then blocking ({@link #readPolling}).
 */
public final class UdsEcho {
    private UdsEcho() {}

    /**
     * Starts the echo in a child JVM serving {@code socket} and returns it once it is listening (it said "ready");
     * {@link #stop} ends it.
     */
    public static Process start(Path socket, int requestBytes, int replyBytes) throws IOException {
        return start(socket, requestBytes, replyBytes, false);
    }

    /** {@link #start(Path, int, int)}, the echo polling before it blocks if {@code poll}. */
    public static Process start(Path socket, int requestBytes, int replyBytes, boolean poll) throws IOException {
        List<String> args = new java.util.ArrayList<>(List.of(socket.toString(), Integer.toString(requestBytes), Integer.toString(replyBytes)));
        if (poll) args.add("poll");
        Process p = org.fallow.abi.process.ChildJvm.builder(List.of("-Xmx64m", "-XX:+UseSerialGC"), UdsEcho.class.getName(), args)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String line = new BufferedReader(new InputStreamReader(p.getInputStream())).readLine();
        if (!"ready".equals(line)) {
            p.destroyForcibly();
            throw new IOException("the echo process did not start (said " + line + ")");
        }
        return p;
    }

    /** Ends an echo {@link #start}ed: it exits when its stdin closes; forcibly if it has not within 5 s. */
    public static void stop(Process echo) throws IOException, InterruptedException {
        echo.getOutputStream().close();
        if (!echo.waitFor(5, TimeUnit.SECONDS)) echo.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }

    /**
     * One read from non-blocking {@code c} (registered for reading with {@code readable}), as the hypervisor's loop
     * and its client wait: polls with {@code poller} (its policy's window, none right after a miss), then blocks in {@code readable} until the
     * socket has bytes. Returns the bytes read (> 0) or -1 at end of stream. Also the polling floor's client.
     */
    static int readPolling(SocketChannel c, ByteBuffer into, Selector readable, Poller poller) throws IOException {
        int polled = poller.poll(() -> c.read(into));
        if (polled != 0) return polled;
        for (int waits = 0; ; waits++) {
            int n = c.read(into);
            if (n != 0) return n;
            if (waits > 1_000_000) throw new IOException("socket readable but nothing to read, a million times");
            readable.select();
            readable.selectedKeys().clear();
        }
    }

    public static void main(String[] args) throws IOException {
        Path socket = Path.of(args[0]);
        int request = Integer.parseInt(args[1]);
        int reply = Integer.parseInt(args[2]);
        boolean poll = args.length > 3 && args[3].equals("poll");
        Files.deleteIfExists(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread watchdog = new Thread(() -> {
            try {
                while (System.in.read() >= 0) { /* parent alive */ }
            } catch (IOException ignored) {
                // parent gone
            }
            System.exit(0);
        }, "parent-watch");
        watchdog.setDaemon(true);
        watchdog.start();
        System.out.println("ready");
        System.out.flush();
        ByteBuffer in = ByteBuffer.allocateDirect(request);
        ByteBuffer out = ByteBuffer.allocateDirect(reply);
        while (true) {
            try (SocketChannel c = server.accept(); Selector readable = poll ? Selector.open() : null) {
                Poller poller = new Poller(SpinPolicy.system());
                if (poll) {
                    c.configureBlocking(false);
                    c.register(readable, SelectionKey.OP_READ);
                }
                while (true) {
                    in.clear();
                    while (in.hasRemaining()) if ((poll ? readPolling(c, in, readable, poller) : c.read(in)) < 0) break;
                    if (in.hasRemaining()) break;
                    out.clear();
                    while (out.hasRemaining()) c.write(out);
                }
            } catch (IOException ignored) {
                // client went away: next one
            }
        }
    }
}
