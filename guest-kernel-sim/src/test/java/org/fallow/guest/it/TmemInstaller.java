package org.fallow.guest.it;

import org.fallow.hypervisor.Subsystem;
import org.fallow.hypervisor.core.HypervisorCore;

/**
 * Installs the hypervisor's tmem subsystem ({@code org.fallow.hypervisor.tmem.TmemSubsystem}, found by name so this
 * module's tests compile whether or not it is on the class path) into an in-process core.
 */
final class TmemInstaller {
    private TmemInstaller() {}

    static final String CLASS = "org.fallow.hypervisor.tmem.TmemSubsystem";

    static boolean available() {
        try {
            Class.forName(CLASS);
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    static boolean install(HypervisorCore core) {
        if (!available()) return false;
        try {
            Subsystem s = (Subsystem) Class.forName(CLASS).getConstructor().newInstance();
            s.install(core);
            return true;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot install tmem", e);
        }
    }
}
