package org.fallow.guest.mem;

import java.io.IOException;

/**
 * The EPT-violation path of a guest vCPU: sends MEM_FAULT(gfn, access, vcpu) and waits for FAULT_DONE. Over the wire
 * this is {@code HypervisorConnection::memFault}; in-process tests call the hypervisor's fault handler directly.
 */
@FunctionalInterface
public interface FaultPort {
    /** Returns 0 (retry the access) or a negated Xen errno (the access fails). */
    long memFault(long gfn, boolean write, int vcpu) throws IOException;
}
