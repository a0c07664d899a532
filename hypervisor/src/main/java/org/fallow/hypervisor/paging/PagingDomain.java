package org.fallow.hypervisor.paging;

import org.fallow.hypervisor.core.MemoryFaultHandler;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Per-domain paging state (a {@link org.fallow.hypervisor.core.Domain} part): the ring (null when paging is off),
 * requests waiting for a ring slot, the vcpus paused on a page-in, and counters. Touched only on the dispatch thread.
 */
final class PagingDomain {
    PagingRing ring;
    final ArrayDeque<PagingRequest> queue = new ArrayDeque<>();
    /** vcpu id → the guest accesses paused on it ("vm_event pause count" = size). */
    final Map<Integer, ArrayDeque<Paused>> paused = new HashMap<>();
    long requestsSent;
    long responsesTaken;

    record Paused(long gfn, MemoryFaultHandler.Reply reply) {}

    int pausedCount() { return paused.values().stream().mapToInt(ArrayDeque::size).sum(); }
}
