package org.fallow.guest.tmem;

/**
 * struct cleancache_filekey: 24 bytes reinterpreted as the tmem oid[3]. For ext-like filesystems (no encode_fh) the key
 * is the inode number: {ino, 0, 0}.
 */
public record FileKey(long k0, long k1, long k2) {
    public static FileKey ofInode(long ino) { return new FileKey(ino, 0, 0); }
}
