package org.fallow.guest.tmem;

import org.fallow.guest.hv.TmemOps;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * drivers/xen/tmem.c: the cleancache and frontswap backends over Xen tmem. Cleancache: a private ephemeral pool per
 * mounted fs (flags 0x01000000) or a shared one by fs UUID (0x01000002), oid = the 24-byte file key, index = page
 * index (ops with an index ≥ 2^32 or a negative pool are skipped). Frontswap: one private persistent pool
 * (0x01000001) created at the first swapon, keys swizzled ({@link Swizzle}). Only a return of 1 is success.
 */
public final class XenTmemDriver {
    private static final Logger log = LoggerFactory.getLogger(XenTmemDriver.class);

    private final TmemOps tmem;
    private final TmemDriverStats stats = new TmemDriverStats();
    private int frontswapPool = -1;

    public XenTmemDriver(TmemOps tmem) { this.tmem = tmem; }

    public TmemDriverStats stats() { return stats; }

    public int frontswapPool() { return frontswapPool; }

    private static boolean fits32(long index) { return index >= 0 && index <= 0xFFFFFFFFL; }

    private int newPool(long lo, long hi, boolean persistent, boolean shared) {
        long rc = tmem.newPool(lo, hi, TmemOps.poolFlags(persistent, shared));
        if (rc < 0) {
            stats.newPoolFailures++;
            log.warn("tmem NEW_POOL (persistent={}, shared={}) failed: {}", persistent, shared, rc);
        } else stats.newPools++;
        return (int) rc;
    }

    private final CleancacheOps cleancache = new CleancacheOps() {
        @Override public int initFs(int pageSize) {
            if (pageSize != 4096) return -1;
            return newPool(0, 0, false, false);
        }

        @Override public int initSharedFs(long uuidLo, long uuidHi, int pageSize) {
            if (pageSize != 4096) return -1;
            return newPool(uuidLo, uuidHi, false, true);
        }

        @Override public int getPage(int pool, FileKey key, long index, int gfn) {
            if (pool < 0 || !fits32(index)) { stats.skipped++; return -1; }
            long rc = tmem.getPage(pool, key.k0(), key.k1(), key.k2(), (int) index, gfn);
            stats.get(rc);
            return rc == 1 ? 0 : -1;
        }

        @Override public void putPage(int pool, FileKey key, long index, int gfn) {
            if (pool < 0 || !fits32(index)) { stats.skipped++; return; }
            stats.put(tmem.putPage(pool, key.k0(), key.k1(), key.k2(), (int) index, gfn));
        }

        @Override public void invalidatePage(int pool, FileKey key, long index) {
            if (pool < 0 || !fits32(index)) { stats.skipped++; return; }
            stats.flushPages++;
            tmem.flushPage(pool, key.k0(), key.k1(), key.k2(), (int) index);
        }

        @Override public void invalidateInode(int pool, FileKey key) {
            if (pool < 0) { stats.skipped++; return; }
            stats.flushObjects++;
            tmem.flushObject(pool, key.k0(), key.k1(), key.k2());
        }

        @Override public void invalidateFs(int pool) {
            if (pool < 0) return;
            stats.destroyPools++;
            tmem.destroyPool(pool);
        }
    };

    private final FrontswapOps frontswap = new FrontswapOps() {
        @Override public void init(int type) {
            if (frontswapPool < 0) frontswapPool = newPool(0, 0, true, false);
        }

        @Override public int store(int type, long offset, int gfn) {
            if (frontswapPool < 0 || !fits32(offset)) { stats.skipped++; return -1; }
            int ind = (int) offset;
            long rc = tmem.putPage(frontswapPool, Swizzle.oid(type, ind), 0, 0, Swizzle.index(ind), gfn);
            stats.put(rc);
            return rc == 1 ? 0 : -1;
        }

        @Override public int load(int type, long offset, int gfn) {
            if (frontswapPool < 0 || !fits32(offset)) { stats.skipped++; return -1; }
            int ind = (int) offset;
            long rc = tmem.getPage(frontswapPool, Swizzle.oid(type, ind), 0, 0, Swizzle.index(ind), gfn);
            stats.get(rc);
            return rc == 1 ? 0 : -1;
        }

        @Override public void invalidatePage(int type, long offset) {
            if (frontswapPool < 0 || !fits32(offset)) { stats.skipped++; return; }
            int ind = (int) offset;
            stats.flushPages++;
            tmem.flushPage(frontswapPool, Swizzle.oid(type, ind), 0, 0, Swizzle.index(ind));
        }

        @Override public void invalidateArea(int type) {
            if (frontswapPool < 0) return;
            for (int i = Swizzle.SWIZ_MASK; i >= 0; i--) {
                stats.flushObjects++;
                tmem.flushObject(frontswapPool, Swizzle.oid(type, i), 0, 0);
            }
        }
    };

    public CleancacheOps cleancacheOps() { return cleancache; }

    public FrontswapOps frontswapOps() { return frontswap; }
}
