package org.fallow.guest.mem;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.xc.XcHandle;
import org.fallow.xc.transport.HypervisorConnection;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A guest process for the populate-on-demand scenario of seed 003: attaches to its domain over the socket, maps its
 * memory, runs a start-of-day scrubber that zeroes all of its e820 RAM on every vCPU, then (with {@code --balloon})
 * inflates its balloon as Linux's xen-balloon does at boot (target from {@code memory/target}, static max from
 * {@code memory/static-max}; decrease_reservation 512 frames per call), and (with {@code --dirty}) writes a pattern to
 * every frame it kept and reads every one back. Prints {@code key value} lines; exit 0 when it survived, 3 when its
 * domain crashed, 1 on other errors.
 */
@Command(name = "pod-boot", mixinStandardHelpOptions = true, description = "Boot a simulated HVM guest under populate-on-demand.")
public final class PodBootCommand implements java.util.concurrent.Callable<Integer> {
    static final long VGA_START = 0xA0, VGA_END = 0xC0;
    static final long STRUCT_GFN = 0x10, LIST_GFN = 0x11;

    @Option(names = "--socket", description = "hypervisor socket (default: $FALLOW_RUN_DIR/hypervisor.sock)") Path socket;
    @Option(names = "--domid", required = true) int domid;
    @Option(names = "--handle", required = true, description = "the domain handle (hex), printed by create") String handle;
    @Option(names = "--vcpus", defaultValue = "2") int vcpus;
    @Option(names = "--balloon", description = "run the balloon driver after the scrubber") boolean balloon;
    @Option(names = "--dirty", description = "write and verify every frame the guest kept") boolean dirty;
    PrintStream out = System.out;

    public static void main(String[] args) { System.exit(new CommandLine(new PodBootCommand()).execute(args)); }

    @Override public Integer call() throws Exception {
        Path sock = socket != null ? socket : XcHandle.defaultSocket();
        try (HypervisorConnection conn = HypervisorConnection.guest(sock, domid, HexFormat.of().parseHex(handle), AbiProfile.XEN_4_12);
             GuestMemory mem = GuestMemory.map(conn.runDir(), domid, conn::memFault)) {
            String sm = conn.xenstore().readOrNull("memory/static-max");
            long maxPages = sm != null ? Long.parseLong(sm.trim()) / 4 : mem.frames();
            out.println("frames " + mem.frames());
            out.println("maxmem_pages " + maxPages);
            try {
                AtomicLong scrubbed = new AtomicLong();
                long t0 = System.nanoTime();
                onVcpus(v -> {
                    for (long g = v; g < maxPages; g += vcpus) if (ram(g)) { mem.zero(g, v); scrubbed.incrementAndGet(); }
                });
                long scrubNs = System.nanoTime() - t0;
                out.println("scrubbed " + scrubbed.get());
                out.printf("scrub_ms %.1f%n", scrubNs / 1e6);
                out.printf("scrub_faults_per_s %.0f%n", mem.faults() / (scrubNs / 1e9));
                long keep = maxPages;
                if (balloon) {
                    long targetKib = Long.parseLong(conn.xenstore().read("memory/target").trim());
                    long current = maxPages - (VGA_END - VGA_START);
                    long targetPages = targetKib / 4 - (maxPages - current);
                    long inflate = current - targetPages;
                    keep = maxPages - inflate;
                    long released = balloonOut(conn, mem, keep, maxPages);
                    out.println("ballooned " + released);
                }
                if (dirty) {
                    long limit = keep;
                    long d0 = System.nanoTime(), f0 = mem.faults();
                    AtomicLong verified = new AtomicLong();
                    onVcpus(v -> {
                        for (long g = v; g < limit; g += vcpus) if (ram(g) && g != STRUCT_GFN && g != LIST_GFN) mem.fillPattern(g, 42, v);
                    });
                    onVcpus(v -> {
                        for (long g = v; g < limit; g += vcpus) {
                            if (!ram(g) || g == STRUCT_GFN || g == LIST_GFN) continue;
                            if (mem.checksum(g, v) != GuestMemory.crc(GuestMemory.pattern(g, 42)))
                                throw new IllegalStateException("gfn " + g + " lost its data");
                            verified.incrementAndGet();
                        }
                    });
                    out.println("verified " + verified.get());
                    long dirtyNs = System.nanoTime() - d0;
                    out.printf("dirty_verify_ms %.1f%n", dirtyNs / 1e6);
                    out.printf("dirty_faults_per_s %.0f%n", (mem.faults() - f0) / (dirtyNs / 1e9));
                }
                out.println("faults " + mem.faults());
                out.println("survived");
                return 0;
            } catch (GuestAccessException e) {
                out.println("faults " + mem.faults());
                out.println("crashed " + e.getMessage() + " (domain state " + mem.domainState() + ")");
                return mem.domainState() == GuestMemory.STATE_CRASHED ? 3 : 1;
            }
        }
    }

    static boolean ram(long gfn) { return gfn < VGA_START || gfn >= VGA_END; }

    /** xen-balloon at boot: frames [keep, maxPages) back to Xen, 512 per decrease_reservation, DOMID_SELF. */
    private static long balloonOut(HypervisorConnection conn, GuestMemory mem, long keep, long maxPages) throws Exception {
        long released = 0;
        for (long g = keep; g < maxPages; ) {
            int n = (int) Math.min(512, maxPages - g);
            ByteBuffer list = ByteBuffer.allocate(8 * n).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) list.putLong(g + i);
            mem.write(LIST_GFN, 0, list.array(), 0);
            ByteBuffer r = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
            r.putLong(0, LIST_GFN * GuestMemory.PAGE).putLong(8, n).putShort(24, (short) 0x7FF0);
            mem.write(STRUCT_GFN, 0, r.array(), 0);
            long rc = conn.hypercall(Hypercalls.MEMORY_OP, 1 /* XENMEM_decrease_reservation */, STRUCT_GFN * GuestMemory.PAGE);
            if (rc != n) throw new IllegalStateException("decrease_reservation released " + rc + " of " + n);
            released += rc;
            g += n;
        }
        return released;
    }

    private void onVcpus(java.util.function.IntConsumer work) throws Exception {
        ExecutorService ex = Executors.newFixedThreadPool(vcpus);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int v = 0; v < vcpus; v++) {
                int vcpu = v;
                fs.add(ex.submit(() -> work.accept(vcpu)));
            }
            for (Future<?> f : fs) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException r) throw r;
                    throw e;
                }
            }
        } finally {
            ex.shutdownNow();
        }
    }
}
