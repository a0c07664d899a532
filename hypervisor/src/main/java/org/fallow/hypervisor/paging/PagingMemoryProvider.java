package org.fallow.hypervisor.paging;

import org.fallow.hypervisor.core.Domain;

/** Finds the {@link PagingMemory} of a domain (null if the domain has no memory yet). */
@FunctionalInterface
public interface PagingMemoryProvider {
    PagingMemory of(Domain d);
}
