package org.fallow.hypervisor.tmem;

/**
 * One tmem object (Xen's {@code tmem_object_root}): the pages of one oid in one pool, keyed by their 32-bit index.
 * Xen keeps them in a radix tree; a {@link PageIndexMap} has the same semantics here.
 */
final class TmemObject {
    final TmemPool pool;
    final TmemOid oid;
    final PageIndexMap pages = new PageIndexMap();
    /** Domid of the last client that put or got from this object (shared pools), or {@link TmemDefs#CLI_ID_NULL}. */
    int lastClient = TmemDefs.CLI_ID_NULL;

    TmemObject(TmemPool pool, TmemOid oid) {
        this.pool = pool;
        this.oid = oid;
    }
}
