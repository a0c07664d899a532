package org.fallow.guest.mm;

/** A mounted filesystem (a superblock): its cleancache pool id ({@code sb->cleancache_poolid}) and UUID. */
public final class FileSystem {
    private final String name;
    private final boolean shared;
    private final long uuidLo, uuidHi;
    int poolId = -1;
    boolean mounted = true;

    FileSystem(String name, boolean shared, long uuidLo, long uuidHi) {
        this.name = name;
        this.shared = shared;
        this.uuidLo = uuidLo;
        this.uuidHi = uuidHi;
    }

    public String name() { return name; }
    public boolean shared() { return shared; }
    public long uuidLo() { return uuidLo; }
    public long uuidHi() { return uuidHi; }
    public int poolId() { return poolId; }
    public boolean mounted() { return mounted; }

    @Override public String toString() { return name + (shared ? "(shared)" : "") + "[pool " + poolId + "]"; }
}
