package org.fallow.hypervisor.tmem;

import static org.fallow.hypervisor.tmem.PageTable.NIL;

/**
 * The two ephemeral LRU lists of Xen's tmem: one global list and one per client (the owner of the page's pool), both
 * intrusive doubly linked lists of page handles through the {@link PageTable}'s link fields, head = least recently
 * used. Puts append at the tail, shared-pool gets move the page back to the tail, eviction scans from the head. Every
 * page of an ephemeral pool is on both lists from its put until its deletion.
 */
final class EphemeralLru {
    private final PageTable t;
    private int head = NIL, tail = NIL;
    private long count, countMax;

    EphemeralLru(PageTable table) { this.t = table; }

    void append(int p, TmemClient c) {
        t.setGPrev(p, tail);
        t.setGNext(p, NIL);
        if (tail != NIL) t.setGNext(tail, p); else head = p;
        tail = p;
        t.setCPrev(p, c.lruTail);
        t.setCNext(p, NIL);
        if (c.lruTail != NIL) t.setCNext(c.lruTail, p); else c.lruHead = p;
        c.lruTail = p;
        if (++count > countMax) countMax = count;
        if (++c.ephCount > c.ephCountMax) c.ephCountMax = c.ephCount;
    }

    void remove(int p, TmemClient c) {
        int gp = t.gPrev(p), gn = t.gNext(p), cp = t.cPrev(p), cn = t.cNext(p);
        if (gp != NIL) t.setGNext(gp, gn); else head = gn;
        if (gn != NIL) t.setGPrev(gn, gp); else tail = gp;
        if (cp != NIL) t.setCNext(cp, cn); else c.lruHead = cn;
        if (cn != NIL) t.setCPrev(cn, cp); else c.lruTail = cp;
        t.setGPrev(p, NIL);
        t.setGNext(p, NIL);
        t.setCPrev(p, NIL);
        t.setCNext(p, NIL);
        count--;
        c.ephCount--;
    }

    /** Moves a page to the most-recently-used end of both lists. */
    void touch(int p, TmemClient c) {
        remove(p, c);
        append(p, c);
    }

    /**
     * Moves a page from {@code from}'s list to the tail of {@code to}'s list (shared-pool ownership hand-off); its
     * place in the global list is kept.
     */
    void reassign(int p, TmemClient from, TmemClient to) {
        int cp = t.cPrev(p), cn = t.cNext(p);
        if (cp != NIL) t.setCNext(cp, cn); else from.lruHead = cn;
        if (cn != NIL) t.setCPrev(cn, cp); else from.lruTail = cp;
        from.ephCount--;
        t.setCPrev(p, to.lruTail);
        t.setCNext(p, NIL);
        if (to.lruTail != NIL) t.setCNext(to.lruTail, p); else to.lruHead = p;
        to.lruTail = p;
        if (++to.ephCount > to.ephCountMax) to.ephCountMax = to.ephCount;
    }

    /** The least recently used page, or NIL. */
    int oldest() { return head; }

    /** The most recently used page, or NIL. */
    int newest() { return tail; }

    /** The next page towards the most recent end of the global list. */
    int newer(int p) { return t.gNext(p); }

    /** The next page towards the most recent end of its client's list. */
    int newerOfClient(int p) { return t.cNext(p); }

    long count() { return count; }

    long countMax() { return countMax; }
}
