package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;

/**
 * {@code struct xen_domctl_max_mem} ({@code XEN_DOMCTL_max_mem}, 11; 8 bytes).
 * <pre>
 * xen_domctl_max_mem (8 bytes)
 * offset size  member     type
 *      0    8  max_memkb  le64
 * </pre>
 */
public final class XenDomctlMaxMem extends Flyweight<XenDomctlMaxMem> {
    public static final StructLayout LAYOUT = struct("xen_domctl_max_mem", u64("max_memkb"));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int MAX_MEMKB_OFFSET = offsetOf(LAYOUT, "max_memkb");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long maxMemkb() { return getU64(MAX_MEMKB_OFFSET); }
    public XenDomctlMaxMem maxMemkb(long v) { putU64(MAX_MEMKB_OFFSET, v); return this; }
}
