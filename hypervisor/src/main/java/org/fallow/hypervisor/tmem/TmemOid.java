package org.fallow.hypervisor.tmem;

/**
 * A 192-bit tmem object id ({@code struct xen_tmem_oid { uint64_t oid[3]; }}). The 2009 ABI's single 64-bit
 * {@code object} maps to {@code (object, 0, 0)}.
 */
public record TmemOid(long oid0, long oid1, long oid2) {
    public static TmemOid of2009(long object) { return new TmemOid(object, 0, 0); }

    @Override public int hashCode() {
        long h = oid0 * 0x9E3779B97F4A7C15L ^ oid1 * 0xC2B2AE3D27D4EB4FL ^ oid2 * 0x165667B19E3779F9L;
        return (int) (h ^ (h >>> 32));
    }

    @Override public boolean equals(Object o) {
        return o instanceof TmemOid x && x.oid0 == oid0 && x.oid1 == oid1 && x.oid2 == oid2;
    }

    @Override public String toString() {
        return Long.toHexString(oid2) + ":" + Long.toHexString(oid1) + ":" + Long.toHexString(oid0);
    }
}
