package org.fallow.xc.xenpaging;

import org.fallow.abi.fs.SafeFiles;
import org.fallow.abi.AbiProfile;
import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.ControlOp;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.GuestFault;
import org.fallow.hypervisor.core.HostMemory;
import org.fallow.hypervisor.core.HypervisorCore;
import org.fallow.hypervisor.core.MemoryFaultHandler;
import org.fallow.hypervisor.core.Peer;
import org.fallow.hypervisor.paging.PagingMemory;
import org.fallow.hypervisor.paging.PagingEngine;
import org.fallow.hypervisor.paging.StandalonePagingMemory;
import org.fallow.hypervisor.testing.LocalEventChannels;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

import static org.fallow.abi.xen.XenLayouts.U32;
import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_VM_EVENT_OP_PAGING;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_vm_event_op;
import static org.fallow.abi.xen.DomctlConstants.XEN_VM_EVENT_DISABLE;
import static org.fallow.abi.xen.DomctlConstants.XEN_VM_EVENT_ENABLE;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op_evict;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op_nominate;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op_prep;

/**
 * An in-process hypervisor with one domain over {@link StandalonePagingMemory} and paging installed, plus a
 * {@link PagingHost} for a pager living in the same JVM (its own toolstack "connection" and arena). The xenstore is
 * a map with watches. Pagers can be "killed" ({@link #newPagerConnection} closes the previous connection).
 * <p>
 * Used by the xenpaging tests and {@code fallow bench paging} (test code, shipped in libxc-shim's test-jar; it needs the
 * hypervisor and its test-jar on the class path).
 */
public final class InProcessPagingHost {
    public static final int DOMID = 3;

    final Path runDir;
    final HypervisorCore core;
    final StandalonePagingMemory mem;
    final PagingEngine paging;
    final Domain dom;
    final Map<String, String> xenstore = new ConcurrentHashMap<>();
    final Map<String, CopyOnWriteArrayList<Consumer<String>>> watches = new ConcurrentHashMap<>();
    private final LocalEventChannels evtchn = new LocalEventChannels();

    public InProcessPagingHost(Path runDir, long frames, int vcpus, long ringGfn) throws IOException { this(runDir, frames, vcpus, ringGfn, 4); }

    InProcessPagingHost(Path runDir, long frames, int vcpus, long ringGfn, int vmEventVersion) throws IOException {
        this.runDir = runDir;
        core = new HypervisorCore(new HostMemory(frames * 2));
        core.eventChannels(evtchn);
        dom = new Domain(DOMID, new byte[16], vcpus);
        mem = new StandalonePagingMemory(runDir, DOMID, frames, core.host());
        mem.hvmParamRing(ringGfn);
        paging = new PagingEngine(core, d -> d.domid() == DOMID ? mem : null, vmEventVersion).install();
        core.faultHandler((d, gfn, write, vcpu, reply) -> {
            int t = PagingMemory.type(mem.p2mWord(gfn));
            if (t == PagingMemory.P2M_RAM_RW) reply.resolved();
            else if (t >= PagingMemory.P2M_PAGING_OUT && t <= PagingMemory.P2M_PAGING_IN) paging.onPagingFault(d, gfn, write, vcpu, reply);
            else reply.failed(-XenErrno.EFAULT, "gfn " + gfn + " is not RAM (type " + t + ")");
        });
        core.domains().add(dom);
        dom.state(Domain.State.RUNNING);
    }

    <T> T onDispatch(Callable<T> task) {
        try {
            return core.dispatcher().submit(task).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public void xsWrite(String path, String value) {
        xenstore.put(path, value);
        for (Consumer<String> w : watches.getOrDefault(path, new CopyOnWriteArrayList<>())) w.accept(path);
    }

    public long totPages() { return onDispatch(mem::totPages); }

    /** A guest vcpu's access through the §3.3 protocol: count in flight, check the type, else fault and wait. */
    public final class Vcpu {
        private final int id;
        private final java.lang.invoke.VarHandle word = U32.varHandle();
        public long faults;

        public Vcpu(int id) { this.id = id; }

        public void access(long gfn, boolean write, Consumer<MemorySegment> body) {
            long off = org.fallow.abi.wire.P2mHeader.entryOffset(gfn);
            for (;;) {
                int old = (int) word.getAndAdd(mem.p2m(), off, PagingMemory.INFLIGHT_ONE);
                if (PagingMemory.type(old) == PagingMemory.P2M_RAM_RW) {
                    try {
                        body.accept(mem.memory().asSlice(gfn * 4096, 4096));
                    } finally {
                        word.getAndAdd(mem.p2m(), off, -PagingMemory.INFLIGHT_ONE);
                    }
                    return;
                }
                word.getAndAdd(mem.p2m(), off, -PagingMemory.INFLIGHT_ONE);
                faults++;
                var done = new java.util.concurrent.CompletableFuture<Integer>();
                core.dispatcher().execute(() -> core.faultHandler().onFault(dom, gfn, write, id, new MemoryFaultHandler.Reply() {
                    @Override public void resolved() { done.complete(0); }
                    @Override public void failed(int negErrno, String why) { done.complete(negErrno); }
                }));
                int rc = done.join();
                if (rc != 0) throw new IllegalStateException("access to gfn " + gfn + " failed: " + XenErrno.name(rc));
            }
        }
    }

    /** A fresh toolstack connection for a pager; the previous one (if any) is closed, as when a pager dies. */
    public Pager newPagerConnection() {
        return new Pager();
    }

    public final class Pager implements PagingHost {
        private final MemorySegment arena = Arena.ofShared().allocate(16 * 4096, 4096);
        private final long base = 0x7f1000000000L;
        volatile boolean open = true;
        volatile IntConsumer listener = p -> {};
        final Peer peer = new Peer() {
            @Override public void sendEvent(int port) { if (open) listener.accept(port); }
            @Override public boolean isOpen() { return open; }
            @Override public String describe() { return "in-process pager"; }
        };
        final Caller caller = new Caller(Caller.Role.TOOLSTACK, 0, AbiProfile.XEN_4_12, (h, len) -> {
            if (h < base || h + len > base + arena.byteSize()) throw new GuestFault(h, len, "outside arena");
            return arena.asSlice(h - base, len);
        }, peer);
        private final Arena maps = Arena.ofShared();

        /** Simulates SIGKILL: the connection is gone; nothing is cleaned up. */
        void kill() { open = false; }

        private void check() throws IOException { if (!open) throw new IOException("connection closed"); }

        @Override public DomainInfo domainInfo(int domid) throws IOException {
            check();
            return onDispatch(() -> core.domains().get(domid) == null ? null
                    : new DomainInfo(mem.maxPages(), mem.totPages(), paging.pagedPages(dom), dom.dying()));
        }

        @Override public long hvmParam(int domid, int index) { return mem.hvmParam(index); }

        @Override public int p2mType(int domid, long gfn) { return PagingMemory.type(mem.p2mWord(gfn)); }

        @Override public int populateOne(int domid, long gfn) { return onDispatch(() -> mem.populate(gfn)) ? 0 : -XenErrno.EINVAL; }

        @Override public int decreaseOne(int domid, long gfn) { return onDispatch(() -> mem.removeRam(gfn)) ? 0 : -XenErrno.EINVAL; }

        private int domctl(int op) throws IOException {
            check();
            org.fallow.abi.xen.XenDomctl d = new org.fallow.abi.xen.XenDomctl().wrapNew().cmd(XEN_DOMCTL_vm_event_op).domain(DOMID);
            d.vmEventOp().op(op).mode(XEN_DOMCTL_VM_EVENT_OP_PAGING);
            ControlOp cop = new ControlOp(caller, d.segment());
            long rc = onDispatch(() -> core.domctls().get(XEN_DOMCTL_vm_event_op).invoke(cop));
            return rc < 0 ? (int) rc : (int) d.vmEventOp().port();
        }

        @Override public int pagingEnable(int domid) throws IOException { return domctl(XEN_VM_EVENT_ENABLE); }

        @Override public int pagingDisable(int domid) throws IOException { return Math.min(0, domctl(XEN_VM_EVENT_DISABLE)); }

        private int pagingOp(int op, long gfn, long buffer) throws IOException {
            check();
            return onDispatch(() -> {
                new org.fallow.abi.xen.XenMemPagingOp().wrap(arena, 0).clear().op(op).domain(DOMID).buffer(buffer).gfn(gfn);
                return (int) core.memoryOps().get(XENMEM_paging_op).invoke(caller, new long[] {XENMEM_paging_op, base, 0, 0, 0});
            });
        }

        @Override public int nominate(int domid, long gfn) throws IOException { return pagingOp(XENMEM_paging_op_nominate, gfn, 0); }

        @Override public int evict(int domid, long gfn) throws IOException { return pagingOp(XENMEM_paging_op_evict, gfn, 0); }

        @Override public int load(int domid, long gfn, MemorySegment page) throws IOException {
            arena.asSlice(4096, 4096).copyFrom(page.asSlice(0, 4096));
            return pagingOp(XENMEM_paging_op_prep, gfn, base + 4096);
        }

        @Override public MemorySegment guestFrame(int domid, long gfn) { return mem.frame(gfn).asReadOnly(); }

        @Override public MemorySegment mapRing(int domid) throws IOException {
            try (FileChannel ch = SafeFiles.openExisting(runDir.resolve("dom" + DOMID + ".vmring"), true)) {
                return ch.map(FileChannel.MapMode.READ_WRITE, 0, 4096, maps);
            }
        }

        @Override public void notify(int port) throws IOException {
            check();
            core.dispatcher().execute(() -> evtchn.remoteSend(peer, port));
        }

        @Override public void onEvent(IntConsumer l) { listener = l; }

        @Override public String xsRead(String path) { return xenstore.get(path); }

        @Override public void xsWrite(String path, String value) { InProcessPagingHost.this.xsWrite(path, value); }

        @Override public void xsWatch(String path, String token, Consumer<String> onChange) {
            watches.computeIfAbsent(path, k -> new CopyOnWriteArrayList<>()).add(v -> { if (open) onChange.accept(v); });
        }

        @Override public void close() { open = false; }
    }

    public void close() {
        core.close();
        mem.close();
    }
}
