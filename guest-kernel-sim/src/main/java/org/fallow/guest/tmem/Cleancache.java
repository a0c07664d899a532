package org.fallow.guest.tmem;

/**
 * mm/cleancache.c: the frontend the page cache calls. Keeps the counters debugfs shows under
 * {@code /sys/kernel/debug/cleancache/}: succ_gets, failed_gets, puts, invalidates (invalidate_inode/fs are not
 * counted). Ops on a filesystem whose pool id is negative are skipped, as are ops with no backend.
 */
public final class Cleancache {
    private final CleancacheOps ops;
    private long succGets, failedGets, puts, invalidates;

    /** {@code ops} null = cleancache disabled (every hook is a no-op). */
    public Cleancache(CleancacheOps ops) { this.ops = ops; }

    public boolean enabled() { return ops != null; }

    /** Called at mount: returns the pool id to keep in the superblock (negative = none). */
    public int initFs() { return ops == null ? -1 : ops.initFs(4096); }

    public int initSharedFs(long uuidLo, long uuidHi) { return ops == null ? -1 : ops.initSharedFs(uuidLo, uuidHi, 4096); }

    /** On a page-cache miss before the disk read: true if the page was filled from cleancache. */
    public boolean getPage(int pool, FileKey key, long index, int gfn) {
        if (ops == null || pool < 0) return false;
        if (ops.getPage(pool, key, index, gfn) == 0) {
            succGets++;
            return true;
        }
        failedGets++;
        return false;
    }

    /** On eviction of a clean, mapped-to-disk page-cache page. */
    public void putPage(int pool, FileKey key, long index, int gfn) {
        if (ops == null || pool < 0) return;
        ops.putPage(pool, key, index, gfn);
        puts++;
    }

    /** Truncation or overwrite of a page whose cleancache copy would be stale. */
    public void invalidatePage(int pool, FileKey key, long index) {
        if (ops == null || pool < 0) return;
        ops.invalidatePage(pool, key, index);
        invalidates++;
    }

    public void invalidateInode(int pool, FileKey key) {
        if (ops == null || pool < 0) return;
        ops.invalidateInode(pool, key);
    }

    /** At umount: surrenders the pool. */
    public void invalidateFs(int pool) {
        if (ops == null || pool < 0) return;
        ops.invalidateFs(pool);
    }

    public long succGets() { return succGets; }
    public long failedGets() { return failedGets; }
    public long puts() { return puts; }
    public long invalidates() { return invalidates; }
}
