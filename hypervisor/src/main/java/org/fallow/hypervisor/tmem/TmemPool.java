package org.fallow.hypervisor.tmem;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One tmem pool: private or shared (by uuid), ephemeral or persistent. A shared pool has an owner ({@link #client})
 * and a share list of clients (the owner first); when the owner leaves, ownership passes to the next sharer and
 * {@link #poolId} becomes that client's slot. Statistics are the fields of Xen's {@code struct tmem_pool} that LIST
 * prints.
 */
public final class TmemPool {
    TmemClient client;
    int poolId;
    final boolean persistent;
    boolean shared;
    final long uuid0, uuid1;
    final Map<TmemOid, TmemObject> objects = new HashMap<>();
    final List<TmemClient> sharers = new ArrayList<>(2);
    /** Where this pool's raw pages come from and where its compressed bytes are charged. */
    PageBudget budget;
    ByteArena arena;

    /**
     * SAVE_GET_NEXT_PAGE cursor: a snapshot of the pages when the save started ({handle, object id, index} triples)
     * and the next position.
     */
    int[] saveList;
    int saveNext;

    // statistics (Xen's names)
    long pgpCount, pgpCountMax, objCount, objCountMax;
    long goodPuts, puts, dupPutsFlushed, dupPutsReplaced, noMemPuts, foundGets, gets;
    long flushsFound, flushs, flushObjsFound, flushObjs;

    TmemPool(TmemClient client, int poolId, boolean persistent, boolean shared, long uuid0, long uuid1) {
        this.client = client;
        this.poolId = poolId;
        this.persistent = persistent;
        this.shared = shared;
        this.uuid0 = uuid0;
        this.uuid1 = uuid1;
    }

    public boolean persistent() { return persistent; }

    public boolean shared() { return shared; }

    public long uuid0() { return uuid0; }

    public long uuid1() { return uuid1; }

    /** The pool's stored id: the owner's slot. */
    public int poolId() { return poolId; }

    /** Pages stored in this pool. */
    public long pages() { return pgpCount; }

    public long objects() { return objCount; }

    public int ownerDomid() { return client.domid; }

    /** Domids of the sharers in share-list order (shared pools). */
    public List<Integer> sharerDomids() { return sharers.stream().map(c -> c.domid).toList(); }

    /** The PT: value of LIST: P(ersistent)/E(phemeral), then S(hared)/P(rivate). */
    String typeCode() { return (persistent ? "P" : "E") + (shared ? "S" : "P"); }
}
