package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;

/**
 * {@code struct xen_tmem_client} (sysctl.h, 4.12; 20 bytes, align 4), used by GET/SET_CLIENT_INFO.
 * <pre>
 * xen_tmem_client (20 bytes)
 * offset size  member    type
 *      0    4  version   le32
 *      4    4  maxpools  le32
 *      8    4  nr_pools  le32
 *     12    4  flags     union
 *     12    4    raw     le32
 *     16    4  weight    le32
 * </pre>
 * {@code flags} bitfields: frozen = bit 0, compress = bit 1, migrating = bit 2 (the reverse of
 * TMEM_CLIENT_COMPRESS = 1 / TMEM_CLIENT_FROZEN = 2).
 */
public final class XenTmemClient extends Flyweight<XenTmemClient> {
    public static final int FLAG_FROZEN = 1, FLAG_COMPRESS = 2, FLAG_MIGRATING = 4;
    public static final StructLayout LAYOUT = struct("xen_tmem_client",
            u32("version"),
            u32("maxpools"),
            u32("nr_pools"),
            union("flags", u32("raw")),
            u32("weight"));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int VERSION_OFFSET = offsetOf(LAYOUT, "version");
    public static final int MAXPOOLS_OFFSET = offsetOf(LAYOUT, "maxpools");
    public static final int NR_POOLS_OFFSET = offsetOf(LAYOUT, "nr_pools");
    public static final int FLAGS_OFFSET = offsetOf(LAYOUT, "flags");
    public static final int WEIGHT_OFFSET = offsetOf(LAYOUT, "weight");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long version() { return getU32(VERSION_OFFSET); }
    public XenTmemClient version(long v) { putU32(VERSION_OFFSET, v); return this; }
    public long maxpools() { return getU32(MAXPOOLS_OFFSET); }
    public XenTmemClient maxpools(long v) { putU32(MAXPOOLS_OFFSET, v); return this; }
    public long nrPools() { return getU32(NR_POOLS_OFFSET); }
    public XenTmemClient nrPools(long v) { putU32(NR_POOLS_OFFSET, v); return this; }
    public long flags() { return getU32(FLAGS_OFFSET); }
    public XenTmemClient flags(long v) { putU32(FLAGS_OFFSET, v); return this; }
    public boolean frozen() { return (flags() & FLAG_FROZEN) != 0; }
    public boolean compress() { return (flags() & FLAG_COMPRESS) != 0; }
    public boolean migrating() { return (flags() & FLAG_MIGRATING) != 0; }
    public long weight() { return getU32(WEIGHT_OFFSET); }
    public XenTmemClient weight(long v) { putU32(WEIGHT_OFFSET, v); return this; }
}
