package org.fallow.guest.it;

import org.fallow.abi.AbiProfile;
import org.fallow.guest.hv.Hypercaller;
import org.fallow.guest.hv.GuestMemoryPhysMem;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.testing.InProcessHypervisor;
import org.fallow.hypervisor.testing.InProcessToolstack;
import org.fallow.hypervisor.tmem.TmemSubsystem;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_CDF_hap;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_CDF_hvm;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_destroydomain;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_getdomaininfo;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_unpausedomain;
import static org.fallow.hypervisor.mem.MemConstants.*;

/**
 * The real hypervisor classes in this JVM (core + generic hypercalls + guest memory + tmem) with an in-process
 * toolstack; guests attach through {@link #hypercaller} (hypercalls dispatched on the hypervisor's dispatch thread as
 * the wire server does) and {@link #physMem} (their dom<D>.mem/.p2m files with faults resolved by the hypervisor's
 * fault handler).
 */
final class HvBed extends InProcessHypervisor {
    static final int STRUCT = 0;

    HvBed(Path dir, long hostPages) {
        super(dir, hostPages);
        new TmemSubsystem().install(core);
    }

    record Dom(int domid, byte[] handle) {}

    private MemorySegment arena() { return ts.arena(); }

    /** createdomain (1 vCPU; HVM + HAP when {@code hvm}) + max_mem. */
    Dom createDomain(long maxPages, boolean hvm) {
        byte[] h = new byte[16];
        ThreadLocalRandom.current().nextBytes(h);
        int domid = ts.createDomain(h, hvm ? XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap : 0, 1, maxPages);
        return new Dom(domid, h);
    }

    long domctl(int cmd, int domid) { return ts.domctl(cmd, domid, 0); }

    /** A guest with {@code pages} populated frames out of {@code maxPages} (the rest start ballooned), unpaused. */
    Dom createPlain(long maxPages, long pages) {
        Dom d = createDomain(maxPages, true);
        ts.populate(d.domid(), 0, pages, 0);
        unpause(d.domid());
        return d;
    }

    /** A PoD guest as xc_hvm_build_target_mem builds it: [0,0xA0) RAM, VGA hole, [0xC0,max) PoD, cache target-0x20. */
    Dom createPod(long maxPages, long targetPages) {
        if (targetPages >= maxPages) throw new IllegalArgumentException("a PoD guest has target < max");
        Dom d = createDomain(maxPages, true);
        ts.buildHvm(d.domid(), maxPages, targetPages);
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
        int got = Short.toUnsignedInt(arena().get(U16_UNALIGNED, STRUCT + INFO_DOMAIN));
        if (got != domid) return -3; // next domain returned: ours is gone (-ESRCH)
        return arena().get(U64_UNALIGNED, STRUCT + INFO_TOT_PAGES);
    }

    /** XEN_SYSCTL_tmem_op LIST (all clients, long format): Xen's text. */
    String tmemList() {
        MemorySegment a = arena();
        a.asSlice(0, 136).fill((byte) 0);
        a.set(U32_UNALIGNED, 0, org.fallow.abi.xen.SysctlConstants.XEN_SYSCTL_tmem_op);
        a.set(U32_UNALIGNED, org.fallow.abi.xen.XenSysctl.INTERFACE_VERSION_OFFSET, org.fallow.abi.xen.SysctlConstants.XEN_SYSCTL_INTERFACE_VERSION);
        var op = new org.fallow.abi.xen.XenSysctlTmemOp().wrap(a, 8);
        int bufOff = 8192, bufLen = 64 * 1024;
        a.asSlice(bufOff, bufLen).fill((byte) 0);
        op.cmd(org.fallow.abi.xen.TmemConstants.XEN_SYSCTL_TMEM_OP_LIST).cliId(0xFFFFFFFFL).len(bufLen).arg(1)
                .buf(InProcessToolstack.handle(bufOff));
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
        a.set(U32_UNALIGNED, 0, org.fallow.abi.xen.SysctlConstants.XEN_SYSCTL_tmem_op);
        a.set(U32_UNALIGNED, org.fallow.abi.xen.XenSysctl.INTERFACE_VERSION_OFFSET, org.fallow.abi.xen.SysctlConstants.XEN_SYSCTL_INTERFACE_VERSION);
        int infoOff = 8192;
        a.asSlice(infoOff, org.fallow.abi.xen.XenTmemPoolInfo.SIZE).fill((byte) 0);
        new org.fallow.abi.xen.XenTmemPoolInfo().wrap(a, infoOff)
                .flags(org.fallow.abi.xen.XenTmemPoolInfo.FLAG_AUTH) // flags.u.auth = 1: add
                .uuid(0, uuidLo).uuid(1, uuidHi);
        var op = new org.fallow.abi.xen.XenSysctlTmemOp().wrap(a, 8);
        op.cmd(org.fallow.abi.xen.TmemConstants.XEN_SYSCTL_TMEM_OP_SET_AUTH).cliId(domid).len(org.fallow.abi.xen.XenTmemPoolInfo.SIZE)
                .buf(InProcessToolstack.handle(infoOff));
        return ts.sysctl(0);
    }

    /** Whether the host could allocate {@code pages} now (reclaiming tmem's free and ephemeral pages); gives them back. */
    /**
     * Whether {@code pages} host pages can be had, one order-0 allocation at a time as a growing domain takes them
     * (Xen's allocator: at or below the mid-size zone each one is a page from tmem's free list or an eviction); every
     * page taken is freed again.
     */
    boolean hostCanAllocate(long pages) {
        return ts.onDispatch(() -> {
            long got = 0;
            while (got < pages && core.host().allocate(1)) got++;
            core.host().free(got);
            return got == pages;
        });
    }

    long hostFreePages() { return ts.onDispatch(() -> core.host().freePages()); }

    Hypercaller hypercaller(int domid, AbiProfile profile) {
        Caller c = guest(domid, profile);
        return (op, a0, a1, a2, a3, a4) -> ts.hypercall(c, op, a0, a1, a2, a3, a4);
    }

    GuestMemoryPhysMem physMem(int domid) throws IOException {
        return GuestMemoryPhysMem.map(dir, domid, (gfn, write, vcpu) -> fault(domid, gfn, write, vcpu));
    }
}
