package org.fallow.hypervisor;

import org.fallow.hypervisor.core.HypervisorCore;

import java.nio.file.Path;

/**
 * A hypervisor subsystem (tmem, guest memory, paging, ...) that plugs itself into a {@link HypervisorCore}: registers
 * hypercalls and sub-ops, lifecycle listeners, the fault handler. Implementations are found with
 * {@link java.util.ServiceLoader}: list the class in {@code META-INF/services/org.fallow.hypervisor.Subsystem}
 * (needs a public no-arg constructor). {@code install} runs once, before the socket opens, after the generic
 * hypercalls (memory_op, multicall, sysctl, domctl) and the event-channel hub are in place.
 */
public interface Subsystem {
    /** Installs the subsystem (override this one or {@link #install(HypervisorCore, Path)}). */
    default void install(HypervisorCore core) {
        throw new UnsupportedOperationException(name() + " overrides neither install method");
    }

    /** Installs the subsystem with the hypervisor's run directory (domain memory files live there). */
    default void install(HypervisorCore core, Path runDir) { install(core); }

    /** Order of installation (lower first); subsystems that others build on (guest memory) use a low value. */
    default int order() { return 100; }

    default String name() { return getClass().getSimpleName(); }
}
