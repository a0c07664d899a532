package org.fallow.cli.bench;

import org.fallow.abi.bench.PageCopyFloor;
import org.fallow.abi.wire.FrameHeader;
import org.fallow.abi.wire.MemFault;
import org.fallow.abi.wire.StatusFrame;
import org.fallow.xc.tools.UdsEcho;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The floor of a guest fault served over the socket, measured in the same run as {@code bench pod} and
 * {@code bench paging}: what one fault costs at least, with no hypervisor, p2m, ring or pager in the way.
 * <ul>
 * <li>one raw Unix-socket round trip of a fault's frame sizes (MEM_FAULT {@value #REQUEST_BYTES} B out, FAULT_DONE
 * {@value #REPLY_BYTES} B back) between this JVM (a JDK blocking {@link SocketChannel}) and {@link UdsEcho} in a
 * child JVM: the same process boundary as the guest's fault to the hypervisor (bench rtt's "echo process" floor);</li>
 * <li>plus {@code copies} 4 KiB page copies, timed by {@link PageCopyFloor} (two copies per put+get).</li>
 * </ul>
 * Both parts are best-of-passes rates; the floor's events/s = 1 / (round-trip time + copies x copy time).
 */
final class FaultFloor {
    static final int REQUEST_BYTES = FrameHeader.LENGTH + MemFault.LENGTH;
    static final int REPLY_BYTES = FrameHeader.LENGTH + StatusFrame.LENGTH;
    private static final int PASSES = 3;

    /** Round trips/s and 4 KiB single copies/s, both measured now. */
    record Rates(double roundTripsPerSecond, double copiesPerSecond) {
        /** Events/s of the floor of an event that costs one round trip and {@code copies} page copies. */
        double eventsPerSecond(int roundTrips, int copies) {
            return 1.0 / ((roundTrips == 0 ? 0 : roundTrips / roundTripsPerSecond) + copies / copiesPerSecond);
        }
    }

    private FaultFloor() {}

    /** Measures both parts: {@code roundTrips} round trips per pass (after a quarter as many unmeasured), copies through a {@code pages}-page store. */
    static Rates measure(Path dir, int roundTrips, int pages) throws IOException, InterruptedException {
        double rt = roundTripsPerSecond(dir.resolve("floor-echo.sock"), roundTrips);
        double copies = 2 * PageCopyFloor.pagesPerSecond(pages); // put+get pages/s is two copies per page
        return new Rates(rt, copies);
    }

    /** Round trips/s to a {@link UdsEcho} child process: the best of {@value #PASSES} passes of {@code n}. */
    static double roundTripsPerSecond(Path socket, int n) throws IOException, InterruptedException {
        if (n < 1) throw new IllegalArgumentException("round trips " + n);
        Process echo = UdsEcho.start(socket, REQUEST_BYTES, REPLY_BYTES);
        try {
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(socket));
                ByteBuffer req = ByteBuffer.allocateDirect(REQUEST_BYTES), rsp = ByteBuffer.allocateDirect(REPLY_BYTES);
                roundTrips(ch, req, rsp, Math.max(1, n / 4));
                double best = 0;
                for (int pass = 0; pass < PASSES; pass++) {
                    long t0 = System.nanoTime();
                    roundTrips(ch, req, rsp, n);
                    best = Math.max(best, n * 1e9 / Math.max(1, System.nanoTime() - t0));
                }
                return best;
            }
        } finally {
            UdsEcho.stop(echo);
        }
    }

    private static void roundTrips(SocketChannel ch, ByteBuffer req, ByteBuffer rsp, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            req.clear();
            req.putLong(0, i);
            while (req.hasRemaining()) ch.write(req);
            rsp.clear();
            while (rsp.hasRemaining()) if (ch.read(rsp) < 0) throw new IOException("the echo process closed the socket");
        }
    }

    /** The cost ratio: how many times the floor's cost per event this row's is (the floor's rate / the row's rate). */
    static String times(double floorPerSecond, double perSecond) {
        return perSecond <= 0 ? "-" : String.format(Locale.ROOT, "%.2f", floorPerSecond / perSecond);
    }
}
