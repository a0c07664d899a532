package org.fallow.hypervisor.tmem;

/**
 * The two ephemeral LRU lists of Xen's tmem: one global list and one per client (the owner of the page's pool), both
 * intrusive doubly linked lists through {@link TmemPage}, head = least recently used. Puts append at the tail,
 * shared-pool gets move the page back to the tail, eviction scans from the head.
 */
final class EphemeralLru {
    private TmemPage head, tail;
    private long count, countMax;

    void append(TmemPage p, TmemClient c) {
        p.globalPrev = tail;
        p.globalNext = null;
        if (tail != null) tail.globalNext = p; else head = p;
        tail = p;
        p.clientPrev = c.lruTail;
        p.clientNext = null;
        if (c.lruTail != null) c.lruTail.clientNext = p; else c.lruHead = p;
        c.lruTail = p;
        p.onLru = true;
        if (++count > countMax) countMax = count;
        if (++c.ephCount > c.ephCountMax) c.ephCountMax = c.ephCount;
    }

    void remove(TmemPage p, TmemClient c) {
        if (!p.onLru) return;
        if (p.globalPrev != null) p.globalPrev.globalNext = p.globalNext; else head = p.globalNext;
        if (p.globalNext != null) p.globalNext.globalPrev = p.globalPrev; else tail = p.globalPrev;
        if (p.clientPrev != null) p.clientPrev.clientNext = p.clientNext; else c.lruHead = p.clientNext;
        if (p.clientNext != null) p.clientNext.clientPrev = p.clientPrev; else c.lruTail = p.clientPrev;
        p.globalPrev = p.globalNext = p.clientPrev = p.clientNext = null;
        p.onLru = false;
        count--;
        c.ephCount--;
    }

    /** Moves a page to the most-recently-used end of both lists. */
    void touch(TmemPage p, TmemClient c) {
        remove(p, c);
        append(p, c);
    }

    /**
     * Moves a page from {@code from}'s list to the tail of {@code to}'s list (shared-pool ownership hand-off); its
     * place in the global list is kept.
     */
    void reassign(TmemPage p, TmemClient from, TmemClient to) {
        if (!p.onLru) return;
        if (p.clientPrev != null) p.clientPrev.clientNext = p.clientNext; else from.lruHead = p.clientNext;
        if (p.clientNext != null) p.clientNext.clientPrev = p.clientPrev; else from.lruTail = p.clientPrev;
        from.ephCount--;
        p.clientPrev = to.lruTail;
        p.clientNext = null;
        if (to.lruTail != null) to.lruTail.clientNext = p; else to.lruHead = p;
        to.lruTail = p;
        if (++to.ephCount > to.ephCountMax) to.ephCountMax = to.ephCount;
    }

    TmemPage oldest() { return head; }

    TmemPage newest() { return tail; }

    long count() { return count; }

    long countMax() { return countMax; }
}
