package org.fallow.guest.mem;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.GuestAddressSpace;
import org.fallow.hypervisor.core.HostMemory;
import org.fallow.hypervisor.core.HypervisorCore;
import org.fallow.hypervisor.core.MemoryFaultHandler;
import org.fallow.hypervisor.dispatch.GenericHypercalls;
import org.fallow.hypervisor.mem.DomainPhysmap;
import org.fallow.hypervisor.mem.InProcessToolstack;
import org.fallow.hypervisor.mem.MemorySubsystem;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/** The real hypervisor classes in this JVM; guests reach them through a {@link FaultPort} and guest hypercalls. */
final class InProcessHv implements AutoCloseable {
    final Path dir;
    final HypervisorCore core;
    final MemorySubsystem mem;
    final InProcessToolstack ts;

    InProcessHv(Path dir, long hostPages) {
        this.dir = dir;
        core = new HypervisorCore(new HostMemory(hostPages));
        GenericHypercalls.install(core);
        mem = MemorySubsystem.install(core, dir);
        ts = new InProcessToolstack(core, 1 << 20);
    }

    /** A domain built like xc_hvm_build_target_mem(maxPages, targetPages) and unpaused. */
    int buildGuest(long maxPages, long targetPages) {
        byte[] h = new byte[16];
        new java.util.Random(maxPages).nextBytes(h);
        int d = ts.createHvmDomain(h, 4, maxPages);
        ts.buildHvm(d, maxPages, targetPages);
        return d;
    }

    Domain domain(int domid) { return core.domains().get(domid); }

    DomainPhysmap pm(int domid) { return mem.physmap(domid); }

    /** MEM_FAULT straight into the hypervisor's fault handler, on its dispatch thread. */
    FaultPort faultPort(int domid) {
        return (gfn, write, vcpu) -> {
            CompletableFuture<Long> done = new CompletableFuture<>();
            core.dispatcher().execute(() -> {
                Domain d = domain(domid);
                if (d == null) {
                    done.complete(-3L);
                    return;
                }
                core.faultHandler().onFault(d, gfn, write, vcpu, new MemoryFaultHandler.Reply() {
                    @Override public void resolved() { done.complete(0L); }
                    @Override public void failed(int negErrno, String why) { done.complete((long) negErrno); }
                });
            });
            return done.join();
        };
    }

    GuestMemory guestMemory(int domid) throws Exception { return GuestMemory.map(dir, domid, faultPort(domid)); }

    /** A hypercall from a vCPU of {@code domid} (handles are guest-physical addresses). */
    long guestHypercall(int domid, int op, long a0, long a1) {
        Caller c = Caller.guest(domid, AbiProfile.XEN_4_12, domain(domid).part(GuestAddressSpace.class));
        return ts.onDispatch(() -> core.dispatch(c, op, new long[] {a0, a1, 0, 0, 0}));
    }

    long memoryOp(int domid, long cmd, long gpa) { return guestHypercall(domid, Hypercalls.MEMORY_OP, cmd, gpa); }

    @Override public void close() {
        ts.close();
        core.close();
    }
}
