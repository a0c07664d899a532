package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;

/**
 * {@code struct xen_domctl_max_vcpus} ({@code XEN_DOMCTL_max_vcpus}, 15; 4 bytes).
 * <pre>
 * xen_domctl_max_vcpus (4 bytes)
 * offset size  member  type
 *      0    4  max     le32
 * </pre>
 */
public final class XenDomctlMaxVcpus extends Flyweight<XenDomctlMaxVcpus> {
    public static final StructLayout LAYOUT = struct("xen_domctl_max_vcpus", u32("max"));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int MAX_OFFSET = offsetOf(LAYOUT, "max");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long max() { return getU32(MAX_OFFSET); }
    public XenDomctlMaxVcpus max(long v) { putU32(MAX_OFFSET, v); return this; }
}
