package org.fallow.hypervisor.tmem;

/**
 * One tmem object (Xen's {@code tmem_object_root}): the pages of one oid in one pool, keyed by their 32-bit index.
 * Xen keeps them in a radix tree; a {@link PageIndexMap} has the same semantics here.
 */
final class TmemObject {
    final TmemPool pool;
    final TmemOid oid;
    final PageIndexMap pages;
    /** This object's id in the engine's object table (a page's object column), -1 until it holds a page. */
    int id = -1;
    /** Domid of the last client that put or got from this object (shared pools), or {@link TmemDefs#CLI_ID_NULL}. */
    int lastClient = TmemDefs.CLI_ID_NULL;

    TmemObject(TmemPool pool, TmemOid oid, PageTable table) {
        this.pool = pool;
        this.pages = new PageIndexMap(table);
        this.oid = oid;
    }
}
