package org.fallow.hypervisor.tmem;

import java.util.Arrays;

/**
 * The tmem state of one domain (Xen's {@code struct client}), created on the domain's first tmem_op or by a control op
 * that creates clients. Holds its 16 pool slots, its 16-entry shared-pool authorisation list, weight/cap/compress/
 * frozen/migrating, its ephemeral LRU (head = oldest) and the per-client statistics of LIST.
 */
public final class TmemClient {
    final int domid;
    final TmemPool[] pools = new TmemPool[TmemDefs.MAX_POOLS_PER_DOMAIN];
    final long[][] sharedAuth = new long[TmemDefs.MAX_GLOBAL_SHARED_POOLS][2];
    int nrPools;
    int weight;
    int cap;
    boolean compress;
    boolean frozen;
    boolean migrating;
    boolean wasFrozen;

    /** Persistent pages deleted while migrating: {pool_id, index, oid0, oid1, oid2} (SAVE_GET_NEXT_INV). */
    final java.util.ArrayList<long[]> invalidated = new java.util.ArrayList<>();
    /** SAVE_GET_NEXT_INV's cursor into {@link #invalidated} (client->cur_pgp), -1 = none. */
    int invCursor = -1;

    // ephemeral LRU of pages in pools this client owns
    int lruHead = PageTable.NIL, lruTail = PageTable.NIL;
    long ephCount, ephCountMax;

    // statistics
    long succEphGets, succPersPuts, succPersGets, compressedPages, compressedSumSize, compressPoor, compressNomem;
    /** Persistent pages stored in pools this client owns (for the top view). */
    long persCount;
    /** Puts of any kind issued by this client (for the top view). */
    long totalPuts, succEphPuts, totalGets;

    TmemClient(int domid, boolean compress) {
        this.domid = domid;
        this.compress = compress;
        for (long[] slot : sharedAuth) Arrays.fill(slot, TmemDefs.UUID_NONE);
    }

    public int domid() { return domid; }

    public int weight() { return weight; }

    public int cap() { return cap; }

    public boolean compress() { return compress; }

    public boolean frozen() { return frozen; }

    public boolean migrating() { return migrating; }

    public int nrPools() { return nrPools; }

    public long ephemeralPages() { return ephCount; }

    public long persistentPages() { return persCount; }

    public long successfulEphemeralGets() { return succEphGets; }

    public long successfulPersistentGets() { return succPersGets; }

    public long successfulPersistentPuts() { return succPersPuts; }

    public long successfulEphemeralPuts() { return succEphPuts; }

    public long puts() { return totalPuts; }

    public long gets() { return totalGets; }

    public long compressedBytes() { return compressedSumSize; }

    /** The pool in slot {@code i}, or null. */
    public TmemPool pool(int i) { return i >= 0 && i < pools.length ? pools[i] : null; }

    /** xen_tmem_client.flags.raw: frozen bit 0, compress bit 1, migrating bit 2. */
    public int flagsRaw() {
        return (frozen ? TmemDefs.CLIENT_FLAG_FROZEN : 0) | (compress ? TmemDefs.CLIENT_FLAG_COMPRESS : 0)
                | (migrating ? TmemDefs.CLIENT_FLAG_MIGRATING : 0);
    }
}
