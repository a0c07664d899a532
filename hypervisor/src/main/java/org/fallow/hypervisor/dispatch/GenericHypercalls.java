package org.fallow.hypervisor.dispatch;

import org.fallow.abi.Hypercalls;
import org.fallow.hypervisor.core.HypervisorCore;

/** Registers the multiplexing hypercalls (memory_op, multicall, sysctl, domctl); subsystems fill their sub-op tables. */
public final class GenericHypercalls {
    private GenericHypercalls() {}

    public static void install(HypervisorCore core) {
        core.registerHypercall(Hypercalls.MEMORY_OP, new MemoryOpHypercall(core.memoryOps(), core.badInput()));
        core.registerHypercall(Hypercalls.MULTICALL, new MulticallHypercall(core));
        core.registerHypercall(Hypercalls.SYSCTL, ControlHypercall.sysctl(core.sysctls()));
        core.registerHypercall(Hypercalls.DOMCTL, ControlHypercall.domctl(core.domctls()));
    }
}
