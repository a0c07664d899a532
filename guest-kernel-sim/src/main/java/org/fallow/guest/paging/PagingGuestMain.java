package org.fallow.guest.paging;

import org.fallow.xc.xenpaging.PageStamp;
import org.fallow.abi.AbiProfile;
import org.fallow.guest.mem.GuestMemory;
import org.fallow.xc.transport.HypervisorConnection;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A guest workload process for the multi-process paging test: {@code vcpus} threads, each with its own guest
 * connection and its own {@link GuestMemory} accessor (the PROTOCOL.md §3.3 protocol: MEM_FAULT when a frame is not RAM).
 * Commands on stdin: {@code init} (write version 0 everywhere), {@code pass N} (N rounds of verify-then-rewrite of
 * every page), {@code verify}, {@code quit}; each answers one line {@code ok <faults>} or {@code FAIL <why>}.
 * Args: socket domid frames vcpus; the domain's secret comes from {@code $FALLOW_SECRET} (never the command line).
 */
public final class PagingGuestMain {
    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args[0]);
        int domid = Integer.parseInt(args[1]);
        byte[] secret = org.fallow.abi.fs.Secrets.read(null, -1, System.getenv(), 16);
        int frames = Integer.parseInt(args[2]);
        int vcpus = Integer.parseInt(args[3]);
        List<HypervisorConnection> conns = new ArrayList<>();
        List<GuestMemory> vcpuMem = new ArrayList<>();
        for (int i = 0; i < vcpus; i++) {
            HypervisorConnection c = HypervisorConnection.guest(socket, domid, secret, AbiProfile.XEN_4_12);
            conns.add(c);
            vcpuMem.add(GuestMemory.map(c.runDir(), domid, c::memFault)); // the memory helper's accessor, one port per vcpu
        }
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
            long faultsBefore = vcpuMem.stream().mapToLong(GuestMemory::faults).sum();
            List<Future<?>> fs = new ArrayList<>();
            for (int v = 0; v < vcpus; v++) {
                int id = v;
                fs.add(pool.submit(() -> {
                    GuestMemory gm = vcpuMem.get(id);
                    for (int p = 0; p < passes; p++) {
                        for (int g = id; g < frames; g += vcpus) {
                            int gfn = g;
                            gm.access(gfn, mode != 2, id, page -> {
                                if (mode == 0) {
                                    PageStamp.write(page, gfn, 0);
                                } else {
                                    int bad = PageStamp.check(page, gfn, version[gfn]);
                                    if (bad >= 0) throw new IllegalStateException("gfn " + gfn + " version " + version[gfn] + " word " + bad + " differs");
                                    if (mode == 1) PageStamp.write(page, gfn, version[gfn] + 1);
                                }
                                return null;
                            });
                            if (mode == 1) version[gfn]++;
                        }
                    }
                    return null;
                }));
            }
            try {
                for (Future<?> f : fs) f.get();
                System.out.println("ok " + (vcpuMem.stream().mapToLong(GuestMemory::faults).sum() - faultsBefore));
            } catch (Exception e) {
                System.out.println("FAIL " + (e.getCause() != null ? e.getCause() : e));
            }
            System.out.flush();
        }
        pool.shutdownNow();
        for (HypervisorConnection c : conns) c.close();
        System.exit(0);
    }
}
