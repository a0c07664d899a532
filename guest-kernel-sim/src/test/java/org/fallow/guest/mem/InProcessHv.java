package org.fallow.guest.mem;

import org.fallow.abi.Hypercalls;
import org.fallow.hypervisor.testing.InProcessHypervisor;

import java.nio.file.Path;

/** The real hypervisor classes in this JVM; guests reach them through a {@link FaultPort} and guest hypercalls. */
final class InProcessHv extends InProcessHypervisor {
    InProcessHv(Path dir, long hostPages) { super(dir, hostPages); }

    /** A domain built like xc_hvm_build_target_mem(maxPages, targetPages) and unpaused. */
    int buildGuest(long maxPages, long targetPages) {
        byte[] h = new byte[16];
        new java.util.Random(maxPages).nextBytes(h);
        int d = ts.createHvmDomain(h, 4, maxPages);
        ts.buildHvm(d, maxPages, targetPages);
        return d;
    }

    /** MEM_FAULT straight into the hypervisor's fault handler, on its dispatch thread. */
    FaultPort faultPort(int domid) { return (gfn, write, vcpu) -> fault(domid, gfn, write, vcpu); }

    GuestMemory guestMemory(int domid) throws Exception { return GuestMemory.map(dir, domid, faultPort(domid)); }

    /** memory_op from a vCPU of {@code domid} (handles are guest-physical addresses). */
    long memoryOp(int domid, long cmd, long gpa) { return guestHypercall(domid, Hypercalls.MEMORY_OP, cmd, gpa); }
}
