package org.fallow.xc;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.xen.MulticallEntry;
import org.fallow.xc.testing.HypervisorProcess;
import org.fallow.xc.transport.HypervisorConnection;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Benchmark (not a test): tmem put+get pages/s over the real socket. Spawns a hypervisor process, creates a domain,
 * attaches as its guest and puts then gets N random pages in a private ephemeral pool (gets are exclusive, so each
 * round ends empty), issuing one tmem_op per hypercall (batch 1) or {@code batch} tmem_ops per
 * {@code __HYPERVISOR_multicall}.
 *
 * <pre>java -cp ... org.fallow.xc.TmemSocketBench [pages=16384] [rounds=3] [batches=1,16,64]</pre>
 */
public final class TmemSocketBench {
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final long OPS_GPA = 32 * 4096L, MC_GPA = 64 * 4096L, GET_GFN = 96;
    static final byte[] SECRET = new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

    public static void main(String[] args) throws Exception {
        int pages = args.length > 0 ? Integer.parseInt(args[0]) : 16384;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int[] batches = java.util.Arrays.stream((args.length > 2 ? args[2] : "1,16,64").split(",")).mapToInt(Integer::parseInt).toArray();
        Path run = Files.createTempDirectory(Path.of("/tmp"), "flb");
        try (HypervisorProcess hv = HypervisorProcess.start(run, List.of("-Xmx1g"), "--host-mem", "1024");
             XcHandle xc = XcHandle.open(hv.socket(), AbiProfile.XEN_4_12)) {
            int d = RawToolstack.createDomain(xc, SECRET);
            RawToolstack.maxMem(xc, d, 128 * 4096);
            if (RawToolstack.populate(xc, d, 128) != 128) throw new IllegalStateException("populate failed");
            RawToolstack.unpause(xc, d);
            try (HypervisorConnection g = HypervisorConnection.guest(hv.socket(), d, SECRET, AbiProfile.XEN_4_12);
                 FileChannel fc = FileChannel.open(run.resolve("dom" + d + ".mem"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                MemorySegment mem = fc.map(FileChannel.MapMode.READ_WRITE, 0, 128 * 4096L, Arena.ofShared());
                for (int f = 0; f < 32; f++) {
                    SplittableRandom r = new SplittableRandom(f);
                    for (int i = 0; i < 4096; i += 8) mem.set(I64, f * 4096L + i, r.nextLong());
                }
                newPool(g, mem);
                System.out.printf(Locale.ROOT, "tmem socket bench: %d random 4 KiB pages per round, %d rounds (best put+get round), private ephemeral pool%n", pages, rounds);
                System.out.println("batch  put pages/s  get pages/s  put+get pages/s");
                for (int b : batches) round(g, mem, pages, b); // warm-up
                for (int b : batches) {
                    double[] best = {0, 0, 0};
                    for (int r = 0; r < rounds; r++) {
                        double[] x = round(g, mem, pages, b);
                        if (x[2] > best[2]) best = x;
                    }
                    System.out.printf(Locale.ROOT, "%5d %12.0f %12.0f %16.0f%n", b, best[0], best[1], best[2]);
                }
            }
        }
    }

    static void newPool(HypervisorConnection g, MemorySegment mem) throws Exception {
        mem.asSlice(OPS_GPA, 56).fill((byte) 0);
        mem.set(I32, OPS_GPA, 1);
        mem.set(I32, OPS_GPA + 24, 1 << 24);
        long rc = g.hypercall(Hypercalls.TMEM_OP, OPS_GPA);
        if (rc != 0) throw new IllegalStateException("new pool " + rc);
    }

    static double[] round(HypervisorConnection g, MemorySegment mem, int pages, int batch) throws Exception {
        long t0 = System.nanoTime();
        run(g, mem, pages, batch, 4);
        long t1 = System.nanoTime();
        run(g, mem, pages, batch, 5);
        long t2 = System.nanoTime();
        return new double[] {pages * 1e9 / (t1 - t0), pages * 1e9 / (t2 - t1), 2.0 * pages * 1e9 / (t2 - t0)};
    }

    static void run(HypervisorConnection g, MemorySegment mem, int pages, int batch, int cmd) throws Exception {
        for (int i = 0; i < pages; i += batch) {
            int n = Math.min(batch, pages - i);
            for (int j = 0; j < n; j++) {
                int p = i + j;
                long o = OPS_GPA + 64L * j;
                mem.set(I32, o, cmd);
                mem.set(I32, o + 4, 0);
                mem.set(I64, o + 8, p >>> 4);
                mem.set(I64, o + 16, 0);
                mem.set(I64, o + 24, 0);
                mem.set(I32, o + 32, p & 15);
                mem.set(I64, o + 48, cmd == 4 ? (p & 31) : GET_GFN + (p & 31));
                if (batch > 1) {
                    long m = MC_GPA + (long) MulticallEntry.SIZE * j;
                    mem.set(I64, m + MulticallEntry.OP_OFFSET, Hypercalls.TMEM_OP);
                    mem.set(I64, m + MulticallEntry.RESULT_OFFSET, 0);
                    mem.set(I64, m + MulticallEntry.ARGS_OFFSET, o);
                }
            }
            if (batch == 1) {
                long rc = g.hypercall(Hypercalls.TMEM_OP, OPS_GPA);
                if (rc != 1) throw new IllegalStateException("op " + cmd + " -> " + rc);
            } else {
                long rc = g.hypercall(Hypercalls.MULTICALL, MC_GPA, n);
                if (rc != 0) throw new IllegalStateException("multicall -> " + rc);
                for (int j = 0; j < n; j++) {
                    long r = mem.get(I64, MC_GPA + (long) MulticallEntry.SIZE * j + MulticallEntry.RESULT_OFFSET);
                    if (r != 1) throw new IllegalStateException("op " + cmd + " -> " + r);
                }
            }
        }
    }
}
