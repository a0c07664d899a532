package org.fallow.hypervisor.core;

import org.fallow.abi.Hypercalls;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.fallow.abi.Hypercalls.DOMID_FIRST_RESERVED;

/** The domain table: domid to {@link Domain}, with life-cycle listeners. Domain 0 is the toolstack and is implicit. */
public final class DomainTable {
    public static final int FIRST_DOMID = 1;

    private final Map<Integer, Domain> domains = new ConcurrentSkipListMap<>();
    private final List<DomainLifecycle> listeners = new CopyOnWriteArrayList<>();
    private int nextDomid = FIRST_DOMID;

    public void addListener(DomainLifecycle l) { listeners.add(l); }

    /** Picks the next free domid (as Xen does for domid 0 in createdomain requests). */
    public synchronized int allocateDomid() {
        for (int i = 0; i < DOMID_FIRST_RESERVED; i++) {
            int id = nextDomid;
            nextDomid = nextDomid + 1 >= DOMID_FIRST_RESERVED ? FIRST_DOMID : nextDomid + 1;
            if (!domains.containsKey(id)) return id;
        }
        return -1;
    }

    /** Adds a new domain; false if the domid is taken. */
    public synchronized boolean add(Domain d) {
        if (domains.putIfAbsent(d.domid(), d) != null) return false;
        for (DomainLifecycle l : listeners) l.created(d);
        return true;
    }

    /** The domain with {@code domid}, or null. */
    public Domain get(int domid) { return domains.get(domid); }

    /** Resolves a domid as a hypercall argument: DOMID_SELF means the caller's own domain. */
    public Domain resolve(Caller caller, int domid) {
        if ((domid & 0xFFFF) == Hypercalls.DOMID_SELF) return caller.role() == Caller.Role.GUEST ? domains.get(caller.domid()) : null;
        return domains.get(domid & 0xFFFF);
    }

    public Collection<Domain> all() { return new ArrayList<>(domains.values()); }

    public void crash(Domain d, String reason) {
        if (d.state() == Domain.State.CRASHED || d.dying()) return;
        d.crashed(reason);
        for (DomainLifecycle l : listeners) l.crashed(d, reason);
    }

    /** Destroys a domain: listeners release its resources, then it leaves the table. False if unknown. */
    public boolean destroy(int domid) {
        Domain d = domains.get(domid);
        if (d == null) return false;
        synchronized (d) {
            if (d.dying()) return false;
            d.state(Domain.State.DYING);
        }
        for (DomainLifecycle l : listeners) l.destroyed(d);
        domains.remove(domid);
        return true;
    }
}
