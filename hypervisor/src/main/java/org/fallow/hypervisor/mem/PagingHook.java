package org.fallow.hypervisor.mem;

import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.MemoryFaultHandler;

/**
 * What the paging subsystem plugs into a domain's physmap ({@link DomainPhysmap#pagingHook(PagingHook)}) while
 * paging is enabled: the memory subsystem hands it every event on a gfn in a paging state
 * ({@code ram_paging_out} 9, {@code ram_paged} 10, {@code ram_paging_in} 11). All calls run on the dispatch thread.
 */
public interface PagingHook {
    /**
     * A guest vCPU touched a gfn in a paging state (an EPT violation). Complete {@code reply} once the gfn is
     * {@code ram_rw} again (the vCPU stays paused until then) or fail it.
     */
    void guestFault(Domain d, long gfn, int p2mType, boolean write, int vcpu, MemoryFaultHandler.Reply reply);

    /**
     * A foreign producer (dom0 mapping the gfn) needs it: Xen's {@code p2m_mem_paging_populate} without pausing a
     * vCPU (VM_EVENT_FLAG_FOREIGN). The access in progress fails (the caller retries later).
     */
    void populate(Domain d, long gfn, int p2mType);

    /**
     * The guest's own hypercall copies from or to the gfn (copy_from/to_guest through hvm_translate_get_page): Xen
     * calls {@code p2m_mem_paging_populate} on the guest's current vCPU, which pauses that vCPU (VCPU_PAUSED, its
     * id). The copy itself fails (-EFAULT). Fallow attributes a hypercall to vCPU 0 (HYPERCALL frames carry none).
     */
    default void guestCopy(Domain d, long gfn, int p2mType, int vcpu) { populate(d, gfn, p2mType); }

    /**
     * decrease_reservation removed a gfn that was in a paging state (the entry is already {@code invalid} and any
     * frame freed; {@code paged_pages} already adjusted): send the pager a DROP_PAGE request.
     */
    void dropPage(Domain d, long gfn, int oldType);

    /**
     * As {@link #dropPage(Domain, long, int)}; {@code foreign} when the caller of decrease_reservation is not the
     * domain itself (the toolstack): Xen's vm_event_put_request then sets VM_EVENT_FLAG_FOREIGN.
     */
    default void dropPage(Domain d, long gfn, int oldType, boolean foreign) { dropPage(d, gfn, oldType); }
}
