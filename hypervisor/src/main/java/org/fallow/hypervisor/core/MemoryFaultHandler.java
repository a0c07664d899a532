package org.fallow.hypervisor.core;

/**
 * The EPT-violation path: a guest vCPU touched a gfn whose shared p2m entry is not present (PoD, paged, paging_out,
 * invalid). The handler populates or pages the frame in and completes {@code reply} (possibly later, e.g. after the
 * pager's response). Until then the guest vCPU stays paused.
 */
@FunctionalInterface
public interface MemoryFaultHandler {
    void onFault(Domain d, long gfn, boolean write, int vcpu, Reply reply);

    interface Reply {
        /** The frame is accessible now: the guest retries the access. */
        void resolved();

        /** The access cannot be satisfied (domain crashed, gfn invalid): negated Xen errno and a reason for logs. */
        void failed(int negErrno, String why);
    }
}
