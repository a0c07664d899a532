package org.fallow.hypervisor.tmem;

import org.fallow.abi.XenErrno;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

import static org.fallow.hypervisor.tmem.TmemDefs.*;

/**
 * tmem's control operations (tmem_control.c of 4.12 and do_tmem_control of 2009), over one {@link TmemEngine}:
 * freeze/thaw/destroy, flush, list, client info, pools, auth, save/restore bookkeeping. Profile-neutral; the sysctl
 * and TMEM_CONTROL front ends map their subop numbers and buffers onto these methods. Like the engine, confined to
 * the dispatch thread. {@code -1} results are Xen's literal {@code return -1} (read as -EPERM).
 */
public final class TmemControl {
    private static final Logger log = LoggerFactory.getLogger(TmemControl.class);

    /** xen_tmem_client (20 bytes): version, maxpools, nr_pools, flags.raw, weight. */
    public record ClientInfo(int version, int maxpools, int nrPools, int flags, int weight) {
        public static final ClientInfo GENERIC = new ClientInfo(SPEC_VERSION, MAX_POOLS_PER_DOMAIN, 0, 0, 0);
    }

    /** xen_tmem_pool_info (32 bytes): flags.raw, id, n_pages, uuid[2]. */
    public record PoolInfo(int flags, int id, long nPages, long uuid0, long uuid1) {}

    private final TmemEngine engine;

    public TmemControl(TmemEngine engine) { this.engine = engine; }

    public TmemEngine engine() { return engine; }

    /**
     * tmemc_freeze_pools for THAW/FREEZE: 0, or -1 for an unknown client. DESTROY destroys the client's pools
     * (the intended behaviour; Xen 4.12 and 2009 treat it as THAW, see docs/DEVIATIONS.md).
     */
    public long freeze(int cliId, boolean freeze) {
        cliId &= 0xFFFF;
        if (cliId == CLI_ID_NULL) {
            for (TmemClient c : engine.clients()) c.frozen = freeze;
            log.info("tmem: all pools {} for all clients", freeze ? "frozen" : "thawed");
            return 0;
        }
        TmemClient c = engine.client(cliId);
        if (c == null) return -1;
        c.frozen = freeze;
        log.info("tmem: all pools {} for d{}", freeze ? "frozen" : "thawed", cliId);
        return 0;
    }

    /** DESTROY: destroys every pool of the client (or of all clients); the clients stay. 0, or -1 if unknown. */
    public long destroyPools(int cliId) {
        cliId &= 0xFFFF;
        List<TmemClient> targets = new ArrayList<>();
        if (cliId == CLI_ID_NULL) targets.addAll(engine.clients());
        else {
            TmemClient c = engine.client(cliId);
            if (c == null) return -1;
            targets.add(c);
        }
        for (TmemClient c : targets) {
            for (int i = 0; i < MAX_POOLS_PER_DOMAIN; i++) if (c.pools[i] != null) engine.destroyPool(c, i);
            log.info("tmem: all pools destroyed for d{}", c.domid);
        }
        return 0;
    }

    /** tmemc_flush_mem: all clients only (else -1); returns the kB released to the host. */
    public long flushMem(int cliId, long kb) {
        if ((cliId & 0xFFFF) != CLI_ID_NULL) {
            log.info("tmem: domain-specific flush not supported, use --all");
            return -1;
        }
        long npages = ((kb & 0xFFFFFFFFL) + 3) >> 2;
        return engine.relinquishNpages(npages) << 2;
    }

    /** QUERY_FREEABLE_MB: freeable pages >> 8. */
    public long queryFreeableMb() { return engine.freeablePages() >> 8; }

    /** tmemc_get_client_info: the client's info, or the generic one if there is no client. */
    public ClientInfo clientInfo(int cliId) {
        TmemClient c = engine.client(cliId);
        if (c == null) return ClientInfo.GENERIC;
        return new ClientInfo(SPEC_VERSION, MAX_POOLS_PER_DOMAIN, c.nrPools, c.flagsRaw(), c.weight);
    }

    /**
     * tmemc_set_client_info: version != 1 -EOPNOTSUPP, maxpools > 16 -ERANGE; sets weight and compress (nr_pools,
     * frozen, migrating ignored). 0xFFFF = every client (-ENOENT if there is none); unknown client -ENOENT.
     */
    public long setClientInfo(int cliId, ClientInfo info) {
        cliId &= 0xFFFF;
        long rc = -XenErrno.ENOENT;
        List<TmemClient> targets = new ArrayList<>();
        if (cliId == CLI_ID_NULL) targets.addAll(engine.clients());
        else if (engine.client(cliId) != null) targets.add(engine.client(cliId));
        for (TmemClient c : targets) {
            if (info.version() != SPEC_VERSION) return -XenErrno.EOPNOTSUPP;
            if (Integer.compareUnsigned(info.maxpools(), MAX_POOLS_PER_DOMAIN) > 0) return -XenErrno.ERANGE;
            if (info.weight() != c.weight) {
                log.info("tmem: weight set to {} for d{}", info.weight(), c.domid);
                engine.setWeight(c, info.weight());
            }
            boolean compress = (info.flags() & CLIENT_FLAG_COMPRESS) != 0;
            if (compress != c.compress) {
                c.compress = compress;
                log.info("tmem: compression {} for d{}", compress ? "enabled" : "disabled", c.domid);
            }
            rc = 0;
        }
        return rc;
    }

    /** 2009 SET_WEIGHT / SET_CAP / SET_COMPRESS: 0, or -1 for an unknown client. */
    public long setVar2009(int cliId, int subop, int arg1) {
        cliId &= 0xFFFF;
        List<TmemClient> targets = new ArrayList<>();
        if (cliId == CLI_ID_NULL) targets.addAll(engine.clients());
        else if (engine.client(cliId) != null) targets.add(engine.client(cliId));
        else return -1;
        for (TmemClient c : targets) {
            switch (subop) {
                case TMEMC_SET_WEIGHT -> engine.setWeight(c, arg1);
                case TMEMC_SET_CAP -> c.cap = arg1;
                case TMEMC_SET_COMPRESS -> c.compress = arg1 != 0;
                default -> { return -1; }
            }
        }
        return 0;
    }

    /** tmemc_get_pool's content: one entry per existing pool in slot order, or null if there is no client. */
    public List<PoolInfo> pools(int cliId) {
        TmemClient c = engine.client(cliId);
        if (c == null) return null;
        List<PoolInfo> out = new ArrayList<>();
        for (int i = 0; i < MAX_POOLS_PER_DOMAIN; i++) {
            TmemPool p = c.pools[i];
            if (p == null) continue;
            int flags = (p.persistent ? POOL_PERSIST : 0) | (p.shared ? POOL_SHARED : 0) | (SPEC_VERSION << POOL_VERSION_SHIFT);
            out.add(new PoolInfo(flags, i, p.pgpCount, p.uuid0, p.uuid1));
        }
        return out;
    }

    /** The client for restore-style subops (SET_POOLS, SET_AUTH, RESTORE_BEGIN), created if missing; null = -ENOMEM. */
    public TmemClient clientOrCreate(int cliId) { return engine.createClient(cliId); }

    public boolean hasClient(int cliId) { return engine.client(cliId) != null; }

    /** One SET_POOLS entry: do_tmem_new_pool at slot {@code id} with 4.12's checks. */
    public long newPoolAt(int cliId, PoolInfo info) {
        TmemClient c = engine.client(cliId);
        if (c == null) return -XenErrno.EPERM;
        if (Integer.compareUnsigned(info.id(), MAX_POOLS_PER_DOMAIN) >= 0) return -XenErrno.EPERM;
        return engine.newPool(c, info.id(), info.flags(), info.uuid0(), info.uuid1(), false);
    }

    /**
     * tmemc_shared_pool_auth: 0xFFFF sets the global switch (1); add returns 1 or -ENOMEM (list full); remove returns
     * 1 if found, else 0; an unknown client -EINVAL.
     */
    public long sharedPoolAuth(int cliId, long uuid0, long uuid1, boolean auth) {
        cliId &= 0xFFFF;
        if (cliId == CLI_ID_NULL) {
            engine.sharedAuthAll = auth;
            return 1;
        }
        TmemClient c = engine.client(cliId);
        if (c == null) return -XenErrno.EINVAL;
        for (long[] a : c.sharedAuth) {
            if (!auth && a[0] == uuid0 && a[1] == uuid1) {
                a[0] = a[1] = UUID_NONE;
                return 1;
            }
            if (auth && a[0] == UUID_NONE && a[1] == UUID_NONE) {
                a[0] = uuid0;
                a[1] = uuid1;
                return 1;
            }
        }
        return auth ? -XenErrno.ENOMEM : 0;
    }

    /** The uuids in a client's auth list (for tests and the toolstack), in slot order. */
    public List<long[]> authList(int cliId) {
        TmemClient c = engine.client(cliId);
        List<long[]> out = new ArrayList<>();
        if (c != null) for (long[] a : c.sharedAuth) if (a[0] != UUID_NONE || a[1] != UUID_NONE) out.add(a.clone());
        return out;
    }

    /** SAVE_BEGIN: the client needs a pool (-ENOENT); remembers frozen, freezes; live sets migrating. 0. */
    public long saveBegin(int cliId, boolean live) {
        TmemClient c = engine.client(cliId);
        if (c == null || c.nrPools == 0) return -XenErrno.ENOENT;
        c.wasFrozen = c.frozen;
        c.frozen = true;
        if (live) c.migrating = true;
        return 0;
    }

    /** SAVE_END: clears migrating, frees the invalidated list, restores frozen. 0, or -ENOENT. */
    public long saveEnd(int cliId) {
        TmemClient c = engine.client(cliId);
        if (c == null) return -XenErrno.ENOENT;
        c.migrating = false;
        c.invalidated.clear();
        c.invCursor = -1;
        for (TmemPool p : c.pools) if (p != null) p.saveList = null;
        c.frozen = c.wasFrozen;
        return 0;
    }

    /** tmem_handle (4.12, 32 bytes): pool_id, index, oid. */
    public record Handle(int poolId, int index, TmemOid oid) {}

    /** One saved page: its handle and 4096 bytes. */
    public record SavedPage(Handle handle, byte[] data) {}

    /**
     * SAVE_GET_NEXT_PAGE: the next page of persistent pool {@code poolId}; {@code room} = the caller's buffer length
     * (at least 4096 + 32, else -ENOMEM). Returns the page, or null with {@code rc[0]} = -1 (no such persistent pool,
     * or the end of the pool: the cursor restarts) / -ENOMEM.
     */
    public SavedPage saveGetNextPage(int cliId, int poolId, long room, long[] rc) {
        TmemClient c = engine.client(cliId);
        TmemPool p = c == null ? null : c.pool(poolId);
        if (p == null || !p.persistent) { rc[0] = -1; return null; }
        if (room < TmemDefs.PAGE_SIZE + 32) { rc[0] = -XenErrno.ENOMEM; return null; }
        int page = engine.nextSavedPage(p);
        if (page == PageTable.NIL) { rc[0] = -1; return null; }
        byte[] data = new byte[TmemDefs.PAGE_SIZE];
        engine.readPage(page, data);
        rc[0] = 1;
        return new SavedPage(new Handle(poolId, engine.indexOf(page), engine.objectOf(page).oid), data);
    }

    /**
     * SAVE_GET_NEXT_INV (tmemc_save_get_next_inv): walks the persistent pages deleted while migrating with a cursor,
     * without consuming them: the next handle, or null (returns 0) after the last one, when the cursor is reset so
     * the walk starts again. The list is freed by SAVE_END.
     */
    public Handle saveGetNextInv(int cliId) {
        TmemClient c = engine.client(cliId);
        if (c == null || c.invalidated.isEmpty()) return null;
        if (c.invCursor >= c.invalidated.size() - 1) {
            if (c.invCursor >= 0) {
                c.invCursor = -1;
                return null;
            }
        }
        long[] h = c.invalidated.get(++c.invCursor);
        return new Handle((int) h[0], (int) h[1], new TmemOid(h[2], h[3], h[4]));
    }

    /** RESTORE_PUT_PAGE: put 4096 bytes from {@code src} into the client's pool: 1 or a put error; -1 without a pool. */
    public long restorePutPage(int cliId, int poolId, TmemOid oid, int index, java.lang.foreign.MemorySegment src) {
        TmemClient c = engine.client(cliId);
        TmemPool p = c == null ? null : c.pool(poolId);
        if (p == null) return -1;
        return engine.restorePut(c, p, oid, index, src);
    }

    /** RESTORE_BEGIN: creates the client: 0, -EEXIST if it exists, -ENOMEM if it cannot be created. */
    public long restoreBegin(int cliId) {
        if (engine.client(cliId) != null) return -XenErrno.EEXIST;
        return engine.createClient(cliId) == null ? -XenErrno.ENOMEM : 0;
    }

    /** RESTORE_FLUSH_PAGE: flush-page semantics on the client's pool; -1 if there is no such pool. */
    public long restoreFlushPage(int cliId, int poolId, TmemOid oid, int index) {
        TmemClient c = engine.client(cliId);
        TmemPool p = c == null ? null : c.pool(poolId);
        if (p == null) return -1;
        return engine.flushPage(p, oid, index);
    }
}
