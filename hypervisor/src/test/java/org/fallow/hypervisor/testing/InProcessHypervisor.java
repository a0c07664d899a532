package org.fallow.hypervisor.testing;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.GuestAddressSpace;
import org.fallow.hypervisor.core.HostMemory;
import org.fallow.hypervisor.core.HypervisorCore;
import org.fallow.hypervisor.core.MemoryFaultHandler;
import org.fallow.hypervisor.dispatch.GenericHypercalls;
import org.fallow.hypervisor.mem.DomainPhysmap;
import org.fallow.hypervisor.mem.GuestMemoryEngine;
import org.fallow.hypervisor.net.HypervisorServer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * The real hypervisor classes in the test's JVM: a core of {@code hostPages} with the generic hypercalls and guest
 * memory installed (run directory {@code dir}), an {@link InProcessToolstack}, guest callers whose handles are their
 * guest-physical addresses, and MEM_FAULT straight into the fault handler on the dispatch thread. Test beds of
 * several modules extend it with their own helpers; {@link #serve} also puts it on a Unix socket.
 */
public class InProcessHypervisor implements AutoCloseable {
    public final Path dir;
    public final HypervisorCore core;
    public final GuestMemoryEngine mem;
    public final InProcessToolstack ts;
    private HypervisorServer server;

    public InProcessHypervisor(Path dir, long hostPages) {
        this.dir = dir;
        core = new HypervisorCore(new HostMemory(hostPages));
        GenericHypercalls.install(core);
        mem = GuestMemoryEngine.install(core, dir);
        ts = new InProcessToolstack(core, 1 << 20);
    }

    public Domain domain(int domid) { return core.domains().get(domid); }

    public DomainPhysmap pm(int domid) { return mem.physmap(domid); }

    /** A vCPU of {@code domid} as a caller: its handles are guest-physical addresses. */
    public Caller guest(int domid, AbiProfile profile) {
        return Caller.guest(domid, profile, domain(domid).part(GuestAddressSpace.class));
    }

    public Caller guest(int domid) { return guest(domid, AbiProfile.XEN_4_12); }

    /** Hypercall {@code op} from a vCPU of {@code domid} (Xen 4.12 ABI). */
    public long guestHypercall(int domid, int op, long... args) { return ts.hypercall(guest(domid), op, args); }

    /** MEM_FAULT of {@code domid} on the dispatch thread: 0 resolved, a negative errno failed (-ESRCH: no domain). */
    public long fault(int domid, long gfn, boolean write, int vcpu) {
        CompletableFuture<Long> done = new CompletableFuture<>();
        core.dispatcher().execute(() -> {
            Domain d = domain(domid);
            if (d == null) {
                done.complete((long) -XenErrno.ESRCH);
                return;
            }
            core.faultHandler().onFault(d, gfn, write, vcpu, new MemoryFaultHandler.Reply() {
                @Override public void resolved() { done.complete(0L); }
                @Override public void failed(int negErrno, String why) { done.complete((long) negErrno); }
            });
        });
        return done.join();
    }

    /** Serves this core on {@code dir/hv.sock} (the real wire protocol, one I/O thread) and returns the socket path. */
    public Path serve() throws IOException, InterruptedException {
        Path socket = dir.resolve("hv.sock");
        server = new HypervisorServer(core, socket, dir, org.fallow.hypervisor.net.ServerLimits.defaults()).start();
        return socket;
    }

    @Override public void close() {
        if (server != null) server.close();
        ts.close();
        core.close();
    }
}
