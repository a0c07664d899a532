package org.fallow.xc.xenpaging;

import org.fallow.abi.AbiProfile;
import org.fallow.xc.transport.HypervisorConnection;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A guest workload process for the multi-process paging test: {@code vcpus} threads, each with its own guest
 * connection, access the domain's memory through the PROTOCOL.md §3.3 protocol (MEM_FAULT when a frame is not RAM).
 * Commands on stdin: {@code init} (write version 0 everywhere), {@code pass N} (N rounds of verify-then-rewrite of
 * every page), {@code verify}, {@code quit}; each answers one line {@code ok <faults>} or {@code FAIL <why>}.
 * Args: socket domid secretHex frames vcpus.
 */
public final class PagingGuestMain {
    private static final VarHandle WORD = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final int INFLIGHT_ONE = 0x10000;

    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args[0]);
        int domid = Integer.parseInt(args[1]);
        byte[] secret = HexFormat.of().parseHex(args[2]);
        int frames = Integer.parseInt(args[3]);
        int vcpus = Integer.parseInt(args[4]);
        List<HypervisorConnection> conns = new ArrayList<>();
        for (int i = 0; i < vcpus; i++) conns.add(HypervisorConnection.guest(socket, domid, secret, AbiProfile.XEN_4_12));
        Path run = conns.getFirst().runDir();
        Arena arena = Arena.ofShared();
        MemorySegment mem = map(run.resolve("dom" + domid + ".mem"), arena);
        MemorySegment p2m = map(run.resolve("dom" + domid + ".p2m"), arena);
        long[] version = new long[frames];
        ExecutorService pool = Executors.newFixedThreadPool(vcpus);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line;
        while ((line = in.readLine()) != null) {
            String[] cmd = line.trim().split("\\s+");
            if (cmd[0].equals("quit")) break;
            int passes = cmd[0].equals("pass") ? Integer.parseInt(cmd[1]) : 1;
            int mode = switch (cmd[0]) { case "init" -> 0; case "pass" -> 1; case "verify" -> 2; default -> -1; };
            if (mode < 0) { System.out.println("FAIL unknown command " + line); continue; }
            AtomicLong faults = new AtomicLong();
            List<Future<?>> fs = new ArrayList<>();
            for (int v = 0; v < vcpus; v++) {
                int id = v;
                fs.add(pool.submit(() -> {
                    HypervisorConnection c = conns.get(id);
                    for (int p = 0; p < passes; p++) {
                        for (int g = id; g < frames; g += vcpus) {
                            MemorySegment page = mem.asSlice((long) g * 4096, 4096);
                            long off = 64 + 4L * g;
                            for (;;) {
                                int old = (int) WORD.getAndAdd(p2m, off, INFLIGHT_ONE);
                                if ((old & 0xFF) == 0) {
                                    try {
                                        if (mode == 0) {
                                            PageStamp.write(page, g, 0);
                                        } else {
                                            int bad = PageStamp.check(page, g, version[g]);
                                            if (bad >= 0) throw new IllegalStateException("gfn " + g + " version " + version[g] + " word " + bad + " differs");
                                            if (mode == 1) PageStamp.write(page, g, version[g] + 1);
                                        }
                                    } finally {
                                        WORD.getAndAdd(p2m, off, -INFLIGHT_ONE);
                                    }
                                    if (mode == 1) version[g]++;
                                    break;
                                }
                                WORD.getAndAdd(p2m, off, -INFLIGHT_ONE);
                                faults.incrementAndGet();
                                long st = c.memFault(g, mode != 2, id);
                                if (st < 0) throw new IllegalStateException("fault on gfn " + g + " failed: " + st);
                            }
                        }
                    }
                    return null;
                }));
            }
            try {
                for (Future<?> f : fs) f.get();
                System.out.println("ok " + faults.get());
            } catch (Exception e) {
                System.out.println("FAIL " + (e.getCause() != null ? e.getCause() : e));
            }
            System.out.flush();
        }
        pool.shutdownNow();
        for (HypervisorConnection c : conns) c.close();
        System.exit(0);
    }

    private static MemorySegment map(Path f, Arena arena) throws Exception {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size(), arena);
        }
    }
}
