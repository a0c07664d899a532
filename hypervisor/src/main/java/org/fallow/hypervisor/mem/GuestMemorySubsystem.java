package org.fallow.hypervisor.mem;

import org.fallow.hypervisor.Subsystem;
import org.fallow.hypervisor.core.HypervisorCore;

/** ServiceLoader entry: installs the guest-memory subsystem first (tmem and paging build on it). */
public final class GuestMemorySubsystem implements Subsystem {
    @Override public void install(HypervisorCore core) { GuestMemoryEngine.install(core, core.runDir()); }

    @Override public int order() { return 10; }

    @Override public String name() { return "guest memory (p2m, PoD, reservations, domain life cycle)"; }
}
