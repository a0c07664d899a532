package org.fallow.hypervisor.paging;

import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.MemoryFaultHandler;
import org.fallow.hypervisor.mem.DomainPhysmap;
import org.fallow.hypervisor.mem.GuestMemoryEngine;
import org.fallow.hypervisor.mem.PagingHook;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/** {@link PagingMemory} over the guest-memory subsystem's {@link DomainPhysmap} (the production wiring). */
public final class PhysmapPagingMemory implements PagingMemory {
    private final DomainPhysmap pm;

    public PhysmapPagingMemory(DomainPhysmap pm) { this.pm = pm; }

    /** The provider for {@link PagingEngine}: a domain's physmap, or null if it has none (or is going away). */
    public static PagingMemoryProvider provider() {
        return d -> {
            DomainPhysmap pm = GuestMemoryEngine.physmap(d);
            return pm == null || pm.released() ? null : new PhysmapPagingMemory(pm);
        };
    }

    @Override public long maxPages() { return pm.p2m().nrFrames(); }

    @Override public int p2mWord(long gfn) { return pm.p2m().word(gfn); }

    @Override public int p2mType(long gfn) { return pm.p2m().type(gfn); }

    @Override public boolean casP2mWord(long gfn, int expect, int update) { return pm.p2m().cas(gfn, expect, update); }

    @Override public MemorySegment frame(long gfn) { return pm.file().frame(gfn); }

    @Override public void releaseFrame(long gfn) { pm.releaseFrame(gfn); }

    @Override public boolean allocateFrame(long gfn) { return pm.allocateFrame(gfn); }

    @Override public boolean backed(long gfn) { return pm.backed(gfn); }

    @Override public long pagedPages() { return pm.pagedPages(); }

    @Override public void pagedPagesAdd(long delta) { pm.pagedPagesAdd(delta); }

    @Override public void holdStorage(long gfn, boolean hold) { pm.holdStorage(gfn, hold); }

    @Override public Path memoryFile() { return pm.file().path().toAbsolutePath(); }

    @Override public boolean populateOnDemand(long gfn) { return pm.pod().demandPopulate(gfn); }

    @Override public long podEntries() { return pm.pod().entryCount(); }

    @Override public boolean hap() {
        int need = org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_CDF_hvm | org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_CDF_hap;
        return (pm.createFlags() & need) == need;
    }

    @Override public long hvmParam(int index) { return pm.hvmParam(index); }

    @Override public Path runDir() { return pm.file().path().toAbsolutePath().getParent(); }

    @Override public void pagingEnabled(Domain d, PagingEngine paging) {
        if (pm.pagingHook() != null) return;
        pm.pagingHook(new PagingHook() {
            @Override public void guestFault(Domain dom, long gfn, int p2mType, boolean write, int vcpu, MemoryFaultHandler.Reply reply) {
                paging.onPagingFault(dom, gfn, write, vcpu, reply);
            }

            @Override public void populate(Domain dom, long gfn, int p2mType) { paging.populateForeign(dom, gfn); }

            @Override public void guestCopy(Domain dom, long gfn, int p2mType, int vcpu) { paging.populateForVcpu(dom, gfn, vcpu); }

            @Override public void dropPage(Domain dom, long gfn, int oldType) { paging.dropPage(dom, gfn, oldType, false); }

            @Override public void dropPage(Domain dom, long gfn, int oldType, boolean foreign) {
                paging.dropPage(dom, gfn, oldType, foreign);
            }
        });
    }
}
