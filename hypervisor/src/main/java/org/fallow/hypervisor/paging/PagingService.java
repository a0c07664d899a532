package org.fallow.hypervisor.paging;

import org.fallow.hypervisor.Subsystem;
import org.fallow.hypervisor.core.HypervisorCore;

/**
 * ServiceLoader entry ({@code META-INF/services/org.fallow.hypervisor.Subsystem}): memory paging over the
 * guest-memory subsystem's physmaps. Installs after guest memory.
 */
public final class PagingService implements Subsystem {
    private volatile PagingSubsystem paging;

    @Override public void install(HypervisorCore core) {
        paging = new PagingSubsystem(core, PhysmapPagingMemory.provider()).install();
    }

    @Override public int order() { return 200; }

    @Override public String name() { return "paging"; }

    /** The installed subsystem (statistics: paged pages, queued requests). */
    public PagingSubsystem paging() { return paging; }
}
