package org.fallow.guest.mm;

import org.fallow.guest.tmem.FileKey;

import java.util.Arrays;

/** A file of a simulated filesystem: inode number, size in pages, and each page's content version (bumped on write). */
public final class SimFile {
    private final FileSystem fs;
    private final long ino;
    int sizePages;
    long[] version;
    boolean deleted;
    /** Pages put into cleancache and not known to be gone since (a successful exclusive get, an invalidate). */
    final java.util.BitSet maybeInCleancache = new java.util.BitSet();

    SimFile(FileSystem fs, long ino, int sizePages) {
        this.fs = fs;
        this.ino = ino;
        this.sizePages = sizePages;
        this.version = new long[Math.max(sizePages, 1)];
    }

    public FileSystem fs() { return fs; }
    public long ino() { return ino; }
    public int sizePages() { return sizePages; }
    public boolean deleted() { return deleted; }

    /** ext-like key: oid = {ino, 0, 0}. */
    public FileKey key() { return FileKey.ofInode(ino); }

    long version(int index) { return version[index]; }

    void ensureCapacity(int pages) {
        if (pages > version.length) version = Arrays.copyOf(version, Math.max(pages, version.length * 2));
    }
}
