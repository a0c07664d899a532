package org.fallow.hypervisor.paging;

import org.fallow.abi.AbiProfile;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.ControlOp;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.GuestAddressSpace;
import org.fallow.hypervisor.core.GuestFault;
import org.fallow.hypervisor.core.HostMemory;
import org.fallow.hypervisor.core.HypervisorCore;
import org.fallow.hypervisor.core.MemoryFaultHandler;
import org.fallow.hypervisor.core.Peer;
import org.fallow.hypervisor.testing.LocalEventChannels;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_vm_event_op;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op;

/** One hypervisor core with one domain, paging installed over {@link StandalonePagingMemory}, and a toolstack. */
public final class PagingHarness implements AutoCloseable {
    public static final long ARENA_BASE = 0x7f0000000000L;

    public final HypervisorCore core;
    public final LocalEventChannels evtchn = new LocalEventChannels();
    public final StandalonePagingMemory mem;
    public final PagingEngine paging;
    public final Domain dom;
    public final MemorySegment arena = Arena.ofShared().allocate(64 * 4096, 4096);

    public PagingHarness(Path runDir, long frames, int vcpus) throws IOException { this(runDir, frames, vcpus, 4); }

    public PagingHarness(Path runDir, long frames, int vcpus, int vmEventVersion) throws IOException {
        core = new HypervisorCore(new HostMemory(frames * 4));
        core.eventChannels(evtchn);
        dom = new Domain(5, new byte[16], vcpus);
        mem = new StandalonePagingMemory(runDir, 5, frames, core.host());
        paging = new PagingEngine(core, d -> d.domid() == 5 ? mem : null, vmEventVersion).install();
        core.faultHandler(paging.faultHandler());
        core.domains().add(dom);
        dom.state(Domain.State.RUNNING);
    }

    public GuestAddressSpace arenaSpace() {
        return (h, len) -> {
            if (h < ARENA_BASE || len < 0 || h + len > ARENA_BASE + arena.byteSize()) throw new GuestFault(h, len, "outside arena");
            return arena.asSlice(h - ARENA_BASE, len);
        };
    }

    public Caller toolstack(Peer peer) {
        return new Caller(Caller.Role.TOOLSTACK, 0, AbiProfile.XEN_4_12, arenaSpace(), peer);
    }

    /** Runs a vm_event domctl; returns {rc, port}. */
    public long[] vmEvent(Caller c, int domid, int op, int mode) {
        org.fallow.abi.xen.XenDomctl d = new org.fallow.abi.xen.XenDomctl().wrapNew().cmd(XEN_DOMCTL_vm_event_op)
                .interfaceVersion(org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_INTERFACE_VERSION).domain(domid);
        d.vmEventOp().op(op).mode(mode);
        ControlOp cop = new ControlOp(c, d.segment());
        long rc = onDispatch(() -> core.domctls().get(XEN_DOMCTL_vm_event_op).invoke(cop));
        return new long[] {rc, d.vmEventOp().port(), cop.copyBackRequested() ? 1 : 0};
    }

    /** XENMEM_paging_op with the struct at arena offset 0 and a page buffer at arena offset 4096. */
    public long pagingOp(Caller c, int op, int domid, long gfn, long buffer) {
        new org.fallow.abi.xen.XenMemPagingOp().wrap(arena, 0).clear().op(op).domain(domid).buffer(buffer).gfn(gfn);
        return onDispatch(() -> core.memoryOps().get(XENMEM_paging_op).invoke(c, new long[] {XENMEM_paging_op, ARENA_BASE, 0, 0, 0}));
    }

    public MemorySegment bufferPage() { return arena.asSlice(4096, 4096); }

    public long bufferHandle() { return ARENA_BASE + 4096; }

    public <T> T onDispatch(java.util.concurrent.Callable<T> task) {
        try {
            return core.dispatcher().submit(task).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A guest vcpu fault on {@code gfn}; the future completes with 0 (resolved) or a negated errno. */
    public CompletableFuture<Integer> fault(long gfn, int vcpu) {
        CompletableFuture<Integer> f = new CompletableFuture<>();
        core.dispatcher().execute(() -> core.faultHandler().onFault(dom, gfn, false, vcpu, new MemoryFaultHandler.Reply() {
            @Override public void resolved() { f.complete(0); }
            @Override public void failed(int negErrno, String why) { f.complete(negErrno); }
        }));
        return f;
    }

    public int type(long gfn) { return PagingMemory.type(mem.p2mWord(gfn)); }

    @Override public void close() {
        core.close();
        mem.close();
    }
}
