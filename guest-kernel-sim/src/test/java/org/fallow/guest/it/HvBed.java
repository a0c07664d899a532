package org.fallow.guest.it;

import org.fallow.abi.AbiProfile;
import org.fallow.guest.hv.Hypercaller;
import org.fallow.guest.hv.GuestMemoryPhysMem;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.GuestAddressSpace;
import org.fallow.hypervisor.core.HostMemory;
import org.fallow.hypervisor.core.HypervisorCore;
import org.fallow.hypervisor.core.MemoryFaultHandler;
import org.fallow.hypervisor.dispatch.GenericHypercalls;

import org.fallow.hypervisor.mem.MemorySubsystem;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;

import static org.fallow.hypervisor.mem.MemConstants.*;

/**
 * The real hypervisor classes in this JVM (core + generic hypercalls + guest memory [+ tmem when present]) with an
 * in-process toolstack; guests attach through {@link #hypercaller} (hypercalls dispatched on the hypervisor's dispatch
 * thread as the wire server does) and {@link #physMem} (their dom<D>.mem/.p2m files with faults resolved by the
 * hypervisor's fault handler).
 */
final class HvBed implements AutoCloseable {
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final int STRUCT = 0, LIST = 4096;

    final Path dir;
    final HypervisorCore core;
    final MemorySubsystem mem;
    final TestToolstack ts;
    final boolean tmem;

    HvBed(Path dir, long hostPages) {
        this.dir = dir;
        core = new HypervisorCore(new HostMemory(hostPages));
        GenericHypercalls.install(core);
        mem = MemorySubsystem.install(core, dir);
        tmem = TmemInstaller.install(core);
        ts = new TestToolstack(core, 1 << 20);
    }

    record Dom(int domid, byte[] handle) {}

    private MemorySegment arena() { return ts.arena(); }

    Dom createDomain(long maxPages, boolean hvm) {
        MemorySegment a = arena().asSlice(STRUCT, DOMCTL_SIZE);
        a.fill((byte) 0);
        a.set(U32, DOMCTL_CMD, XEN_DOMCTL_createdomain);
        a.set(U32, DOMCTL_INTERFACE_VERSION, XEN_DOMCTL_INTERFACE_VERSION);
        byte[] h = new byte[16];
        ThreadLocalRandom.current().nextBytes(h);
        MemorySegment.copy(MemorySegment.ofArray(h), 0, a, CREATE_HANDLE, 16);
        a.set(U32, CREATE_FLAGS, hvm ? XEN_DOMCTL_CDF_hvm_guest | XEN_DOMCTL_CDF_hap : 0);
        a.set(U32, CREATE_MAX_VCPUS, 1);
        long rc = ts.domctl(STRUCT);
        if (rc != 0) throw new IllegalStateException("createdomain " + rc);
        int domid = Short.toUnsignedInt(a.get(U16, DOMCTL_DOMAIN));
        if (domctlMaxMem(domid, maxPages * 4) != 0) throw new IllegalStateException("max_mem");
        return new Dom(domid, h);
    }

    long domctl(int cmd, int domid) {
        MemorySegment a = arena().asSlice(STRUCT, DOMCTL_SIZE);
        a.fill((byte) 0);
        a.set(U32, DOMCTL_CMD, cmd);
        a.set(U32, DOMCTL_INTERFACE_VERSION, XEN_DOMCTL_INTERFACE_VERSION);
        a.set(U16, DOMCTL_DOMAIN, (short) domid);
        return ts.domctl(STRUCT);
    }

    long domctlMaxMem(int domid, long kb) {
        MemorySegment a = arena().asSlice(STRUCT, DOMCTL_SIZE);
        a.fill((byte) 0);
        a.set(U32, DOMCTL_CMD, XEN_DOMCTL_max_mem);
        a.set(U32, DOMCTL_INTERFACE_VERSION, XEN_DOMCTL_INTERFACE_VERSION);
        a.set(U16, DOMCTL_DOMAIN, (short) domid);
        a.set(U64, MAX_MEM_MAX_MEMKB, kb);
        return ts.domctl(STRUCT);
    }

    long reservation(int op, int domid, long first, long n, int flags) {
        long done = 0;
        while (done < n) {
            int batch = (int) Math.min(512, n - done);
            MemorySegment r = arena().asSlice(STRUCT, RES_SIZE);
            r.fill((byte) 0);
            r.set(U64, RES_EXTENT_START, TestToolstack.handle(LIST));
            r.set(U64, RES_NR_EXTENTS, batch);
            r.set(U32, RES_MEM_FLAGS, flags);
            r.set(U16, RES_DOMID, (short) domid);
            for (int i = 0; i < batch; i++) arena().set(U64, LIST + 8L * i, first + done + i);
            long rc = ts.memoryOp(op, TestToolstack.handle(STRUCT));
            done += Math.max(0, rc);
            if (rc < batch) break;
        }
        return done;
    }

    /** A guest with {@code pages} populated frames out of {@code maxPages} (the rest start ballooned), unpaused. */
    Dom createPlain(long maxPages, long pages) {
        Dom d = createDomain(maxPages, true);
        if (reservation(XENMEM_populate_physmap, d.domid(), 0, pages, 0) != pages) throw new IllegalStateException("populate");
        unpause(d.domid());
        return d;
    }

    /** A PoD guest as xc_hvm_build_target_mem builds it: [0,0xA0) RAM, VGA hole, [0xC0,max) PoD, cache target-0x20. */
    Dom createPod(long maxPages, long targetPages) {
        Dom d = createDomain(maxPages, true);
        if (reservation(XENMEM_populate_physmap, d.domid(), 0, 0xA0, 0) != 0xA0) throw new IllegalStateException("RAM");
        long n = maxPages - 0xC0;
        if (reservation(XENMEM_populate_physmap, d.domid(), 0xC0, n, XENMEMF_populate_on_demand) != n)
            throw new IllegalStateException("PoD");
        MemorySegment t = arena().asSlice(STRUCT, POD_SIZE);
        t.fill((byte) 0);
        t.set(U64, POD_TARGET_PAGES, targetPages - 0x20);
        t.set(U16, POD_DOMID, (short) d.domid());
        long rc = ts.memoryOp(XENMEM_set_pod_target, TestToolstack.handle(STRUCT));
        if (rc != 0) throw new IllegalStateException("set_pod_target " + rc);
        unpause(d.domid());
        return d;
    }

    void unpause(int domid) {
        if (domctl(XEN_DOMCTL_unpausedomain, domid) != 0) throw new IllegalStateException("unpause");
    }

    long destroy(int domid) { return domctl(XEN_DOMCTL_destroydomain, domid); }

    /** getdomaininfo's tot_pages, or a negated errno if the domain is gone. */
    long totPages(int domid) {
        long rc = domctl(XEN_DOMCTL_getdomaininfo, domid);
        if (rc != 0) return rc;
        int got = Short.toUnsignedInt(arena().get(U16, STRUCT + INFO_DOMAIN));
        if (got != domid) return -3; // next domain returned: ours is gone (-ESRCH)
        return arena().get(U64, STRUCT + INFO_TOT_PAGES);
    }

    /** XEN_SYSCTL_tmem_op LIST (all clients, long format): Xen's text. */
    String tmemList() {
        MemorySegment a = arena();
        a.asSlice(0, 136).fill((byte) 0);
        a.set(U32, 0, org.fallow.abi.xen.SysctlConstants.XEN_SYSCTL_tmem_op);
        a.set(U32, 4, org.fallow.abi.xen.SysctlConstants.XEN_SYSCTL_INTERFACE_VERSION);
        var op = new org.fallow.abi.xen.XenSysctlTmemOp().wrap(a, 8);
        int bufOff = 8192, bufLen = 64 * 1024;
        a.asSlice(bufOff, bufLen).fill((byte) 0);
        op.cmd(org.fallow.abi.xen.TmemConstants.XEN_SYSCTL_TMEM_OP_LIST).cliId(0xFFFFFFFFL).len(bufLen).arg(1)
                .buf(TestToolstack.handle(bufOff));
        long rc = ts.sysctl(0);
        if (rc < 0) throw new IllegalStateException("tmem LIST " + rc);
        byte[] b = a.asSlice(bufOff, bufLen).toArray(ValueLayout.JAVA_BYTE);
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** XEN_SYSCTL_TMEM_OP_SET_AUTH: lets domain {@code domid} join shared pools of uuid {lo, hi}. */
    long tmemAuth(int domid, long uuidLo, long uuidHi) {
        MemorySegment a = arena();
        a.asSlice(0, 136).fill((byte) 0);
        a.set(U32, 0, org.fallow.abi.xen.SysctlConstants.XEN_SYSCTL_tmem_op);
        a.set(U32, 4, org.fallow.abi.xen.SysctlConstants.XEN_SYSCTL_INTERFACE_VERSION);
        int infoOff = 8192;
        a.asSlice(infoOff, 32).fill((byte) 0);
        a.set(U32, infoOff, 1 << 2); // flags.u.auth = 1: add
        a.set(U64, infoOff + 16, uuidLo);
        a.set(U64, infoOff + 24, uuidHi);
        var op = new org.fallow.abi.xen.XenSysctlTmemOp().wrap(a, 8);
        op.cmd(org.fallow.abi.xen.TmemConstants.XEN_SYSCTL_TMEM_OP_SET_AUTH).cliId(domid).len(32)
                .buf(TestToolstack.handle(infoOff));
        return ts.sysctl(0);
    }

    /** Whether the host could allocate {@code pages} now (reclaiming tmem's free and ephemeral pages); gives them back. */
    boolean hostCanAllocate(long pages) {
        return ts.onDispatch(() -> {
            if (!core.host().allocate(pages)) return false;
            core.host().free(pages);
            return true;
        });
    }

    long hostFreePages() { return ts.onDispatch(() -> core.host().freePages()); }

    Domain domain(int domid) { return core.domains().get(domid); }

    Hypercaller hypercaller(int domid, AbiProfile profile) {
        Caller c = Caller.guest(domid, profile, domain(domid).part(GuestAddressSpace.class));
        return (op, a0, a1, a2, a3, a4) -> {
            long[] args = {a0, a1, a2, a3, a4};
            try {
                return core.dispatcher().submit(() -> core.dispatch(c, op, args)).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        };
    }

    GuestMemoryPhysMem physMem(int domid) throws IOException {
        Domain d = domain(domid);
        return GuestMemoryPhysMem.map(dir, domid, (gfn, write, vcpu) -> {
            CompletableFuture<Long> done = new CompletableFuture<>();
            core.dispatcher().execute(() -> core.faultHandler().onFault(d, gfn, write, vcpu, new MemoryFaultHandler.Reply() {
                @Override public void resolved() { done.complete(0L); }
                @Override public void failed(int negErrno, String why) { done.complete((long) negErrno); }
            }));
            return done.join();
        });
    }

    private org.fallow.hypervisor.net.HypervisorServer server;

    /** Serves this core on a Unix socket (the real wire protocol) and returns the socket path. */
    Path serve() throws IOException, InterruptedException {
        Path socket = dir.resolve("hv.sock");
        server = new org.fallow.hypervisor.net.HypervisorServer(core, socket, dir, 1).start();
        return socket;
    }

    @Override public void close() {
        if (server != null) server.close();
        ts.close();
        core.close();
    }
}
