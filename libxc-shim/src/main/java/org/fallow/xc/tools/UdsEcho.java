package org.fallow.xc.tools;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The floor of {@code bench rtt} as a separate process: a blocking JDK Unix-socket server that answers every
 * {@code request}-byte message with {@code reply} bytes, one client at a time, until its parent closes stdin. Run as
 * {@code java -cp … org.fallow.xc.tools.UdsEcho SOCKET REQUEST_BYTES REPLY_BYTES}: the same process boundary as a
 * hypercall to the hypervisor (an in-process echo thread switches threads, not address spaces).
 */
public final class UdsEcho {
    private UdsEcho() {}

    public static void main(String[] args) throws IOException {
        Path socket = Path.of(args[0]);
        int request = Integer.parseInt(args[1]);
        int reply = Integer.parseInt(args[2]);
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
            try (SocketChannel c = server.accept()) {
                while (true) {
                    in.clear();
                    while (in.hasRemaining()) if (c.read(in) < 0) break;
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
