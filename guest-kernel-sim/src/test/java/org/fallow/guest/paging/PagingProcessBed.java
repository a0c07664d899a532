package org.fallow.guest.paging;

import org.fallow.abi.AbiProfile;
import org.fallow.hypervisor.mem.MemConstants;
import org.fallow.xc.XcHandle;
import org.fallow.xc.xenpaging.XcPagingHost;
import org.fallow.xc.xenpaging.XenPagingCommand;
import org.fallow.abi.process.HypervisorProcess;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_CDF_hap;
import static org.fallow.abi.xen.HvmOpConstants.HVM_PARAM_PAGING_RING_PFN;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_CDF_hvm;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_createdomain;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_max_mem;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_unpausedomain;

/**
 * Separate processes for paging tests and benchmarks: a hypervisor child, a toolstack connection in this JVM, a
 * guest workload child ({@link PagingGuestMain}) and xenpaging children ({@link XenPagingCommand}).
 */
public final class PagingProcessBed implements AutoCloseable {

    public final Path dir;
    public final HypervisorProcess hv;
    public final XcHandle xc;
    public final XcPagingHost host;
    private final List<Process> children = new ArrayList<>();
    public final byte[] handle = new byte[16];
    private PrintWriter guestIn;
    private BufferedReader guestOut;
    Process guest;

    public PagingProcessBed(String hostMemMiB) throws IOException { this(hostMemMiB, HypervisorProcess.TEST_JVM_OPTS); }

    /** With the hypervisor child's JVM options (e.g. a crash-point agent). */
    public PagingProcessBed(String hostMemMiB, List<String> hvJvmOpts) throws IOException {
        hv = HypervisorProcess.start(Files.createTempDirectory(Path.of("/tmp"), "flp"), hvJvmOpts, "--host-mem", hostMemMiB);
        dir = hv.runDir();
        try {
            xc = XcHandle.open(hv.socket(), AbiProfile.XEN_4_12);
        } catch (IOException | RuntimeException e) {
            hv.close(); // nobody else can: the bed was never made (a failed set-up left its hypervisor child running)
            throw e;
        }
        host = new XcPagingHost(xc);
        ThreadLocalRandom.current().nextBytes(handle);
    }

    public long domctl(int cmd, int domid, Consumer<MemorySegment> fill, MemorySegment[] out) throws IOException {
        MemorySegment d = org.fallow.abi.toolstack.ToolstackCalls.newDomctl(cmd, domid).segment();
        fill.accept(d);
        long rc = xc.domctl(d);
        if (out != null) out[0] = d;
        return rc;
    }

    long populate(int domid, long first, long n) throws IOException {
        long[] gfns = new long[(int) n];
        for (int i = 0; i < n; i++) gfns[i] = first + i;
        return xc.calls().populate(domid, 0, gfns);
    }

    long setHvmParam(int domid, int index, long value) throws IOException {
        return new org.fallow.xc.XcMemPaging(xc).xc_hvm_param_set(domid, index, value);
    }

    /**
     * An HVM domain 1 with {@code frames} RAM gfns plus the ring gfn {@code frames} (HVM param 27), unpaused.
     * Returns 0; any failure throws.
     */
    public long createDomain(int frames, int vcpus) throws IOException {
        MemorySegment[] out = new MemorySegment[1];
        long rc = domctl(XEN_DOMCTL_createdomain, 1, d -> {
            MemorySegment.copy(MemorySegment.ofArray(handle), 0, d, MemConstants.CREATE_HANDLE, 16);
            d.set(U32_UNALIGNED, MemConstants.CREATE_FLAGS, XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap);
            d.set(U32_UNALIGNED, MemConstants.CREATE_MAX_VCPUS, vcpus);
        }, out);
        if (rc != 0) throw new IllegalStateException("createdomain " + rc);
        int domid = new org.fallow.abi.xen.XenDomctl().wrap(out[0], 0).domain();
        if (domid != 1) throw new IllegalStateException("got domid " + domid);
        if (domctl(XEN_DOMCTL_max_mem, 1, d -> d.set(U64_UNALIGNED, MemConstants.MAX_MEM_MAX_MEMKB, (frames + 1) * 4L), null) != 0)
            throw new IllegalStateException("max_mem");
        if (populate(1, 0, frames + 1) != frames + 1) throw new IllegalStateException("populate");
        if (setHvmParam(1, HVM_PARAM_PAGING_RING_PFN, frames) != 0) throw new IllegalStateException("set HVM_PARAM_PAGING_RING_PFN");
        if (domctl(XEN_DOMCTL_unpausedomain, 1, d -> {}, null) != 0) throw new IllegalStateException("unpause");
        return 0;
    }

    Process java(String main, String... args) throws IOException { return java(java.util.Map.of(), List.of(), main, args); }

    /** A child JVM running {@code main} with extra environment and JVM options (e.g. a crash-point agent). */
    public Process java(java.util.Map<String, String> env, List<String> jvmOpts, String main, String... args) throws IOException {
        List<String> opts = new ArrayList<>(List.of("-Xmx192m", "-XX:+UseSerialGC"));
        opts.addAll(jvmOpts);
        ProcessBuilder pb = org.fallow.abi.process.ChildJvm.builder(opts, main, List.of(args));
        pb.environment().putAll(env);
        pb.redirectError(dir.resolve(main.substring(main.lastIndexOf('.') + 1) + "-" + children.size() + ".err").toFile());
        Process p = pb.start();
        children.add(p);
        return p;
    }

    public void startGuest(int frames, int vcpus) throws IOException {
        guest = java(guestEnv(), List.of(), PagingGuestMain.class.getName(), hv.socket().toString(), "1",
                String.valueOf(frames), String.valueOf(vcpus));
        guestIn = new PrintWriter(guest.getOutputStream());
        guestOut = new BufferedReader(new InputStreamReader(guest.getInputStream()));
    }

    /** The environment that hands a guest child domain 1's secret (never its command line). */
    public java.util.Map<String, String> guestEnv() {
        return java.util.Map.of(org.fallow.abi.fs.Secrets.ENV, HexFormat.of().formatHex(handle));
    }

    /** One guest command; its answer line ("ok <faults>" or "FAIL ..."). */
    public synchronized String ask(String cmd) throws IOException {
        guestIn.println(cmd);
        guestIn.flush();
        String r = guestOut.readLine();
        return r == null ? "FAIL guest exited" : r;
    }

    public Process pager(Path pagefile, int mruSize) throws IOException { return pager(pagefile, mruSize, List.of()); }

    /** A xenpaging child with extra JVM options (e.g. a crash-point agent). */
    public Process pager(Path pagefile, int mruSize, List<String> jvmOpts) throws IOException {
        Process p = java(java.util.Map.of(), jvmOpts, XenPagingCommand.class.getName(), "-d", "1", "-f", pagefile.toString(), "-r", String.valueOf(mruSize),
                "--socket", hv.socket().toString());
        p.getOutputStream().close();
        return p;
    }

    public long totPages() {
        try {
            return host.domainInfo(1).totPages();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public void awaitTotPages(long target) throws InterruptedException {
        while (totPages() != target) Thread.sleep(20); // bounded by the caller's @Timeout
    }

    @Override public void close() throws IOException {
        if (guest != null && guest.isAlive()) {
            guestIn.println("quit");
            guestIn.flush();
        }
        for (Process p : children) p.destroyForcibly();
        xc.close();
        hv.deleteRunDir();
    }
}
