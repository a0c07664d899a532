package org.fallow.hypervisor.paging;

import org.fallow.abi.xen.VmEventConstants;
import org.fallow.hypervisor.Subsystem;
import org.fallow.hypervisor.core.HypervisorCore;

/**
 * ServiceLoader entry ({@code META-INF/services/org.fallow.hypervisor.Subsystem}): memory paging over the
 * guest-memory subsystem's physmaps. Installs after guest memory. The vm_event interface version is 4 (Xen 4.12)
 * unless the system property {@code fallow.vm_event.version} says 7 (Xen 4.17's 400-byte entries).
 */
public final class PagingSubsystem implements Subsystem {
    private volatile PagingEngine paging;

    @Override public void install(HypervisorCore core) {
        int version = Integer.getInteger("fallow.vm_event.version", VmEventConstants.VM_EVENT_INTERFACE_VERSION);
        paging = new PagingEngine(core, PhysmapPagingMemory.provider(), version).install();
    }

    @Override public int order() { return 200; }

    @Override public String name() { return "paging"; }

    /** The installed subsystem (statistics: paged pages, queued requests). */
    public PagingEngine paging() { return paging; }
}
