package org.fallow.guest.tmem;

/** struct cleancache_ops: what a cleancache backend provides (Linux 3.x/4.x signatures, pages named by gfn). */
public interface CleancacheOps {
    /** A private pool for a newly mounted fs; pool id ≥ 0 or negative. */
    int initFs(int pageSize);

    /** A shared pool keyed by the fs UUID (16 bytes as two little-endian u64). */
    int initSharedFs(long uuidLo, long uuidHi, int pageSize);

    /** 0 if the page was found and copied into {@code gfn}, -1 otherwise. */
    int getPage(int pool, FileKey key, long index, int gfn);

    void putPage(int pool, FileKey key, long index, int gfn);

    void invalidatePage(int pool, FileKey key, long index);

    void invalidateInode(int pool, FileKey key);

    void invalidateFs(int pool);
}
