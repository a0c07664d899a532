package org.fallow.guest.it;

import org.fallow.hypervisor.core.HypervisorCore;

/** Installs the hypervisor's tmem subsystem into an in-process core (nothing until the tmem subsystem is merged). */
final class TmemInstaller {
    private TmemInstaller() {}

    static boolean install(HypervisorCore core) { return false; }
}
