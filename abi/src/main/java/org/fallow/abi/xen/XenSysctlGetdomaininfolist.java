package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;

/**
 * {@code struct xen_sysctl_getdomaininfolist} ({@code XEN_SYSCTL_getdomaininfolist}, 6; 24 bytes).
 * {@code buffer} points at {@code max_domains} {@link XenDomctlGetdomaininfo} records.
 * <pre>
 * xen_sysctl_getdomaininfolist (24 bytes)
 * offset size  member        type
 *      0    2  first_domain  le16
 *      2    2  (padding)
 *      4    4  max_domains   le32
 *      8    8  buffer        le64
 *     16    4  num_domains   le32
 *     20    4  (padding)
 * </pre>
 */
public final class XenSysctlGetdomaininfolist extends Flyweight<XenSysctlGetdomaininfolist> {
    public static final StructLayout LAYOUT = struct("xen_sysctl_getdomaininfolist",
            u16("first_domain"),
            pad(2),
            u32("max_domains"),
            handle("buffer"),
            u32("num_domains"),
            pad(4));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int FIRST_DOMAIN_OFFSET = offsetOf(LAYOUT, "first_domain");
    public static final int MAX_DOMAINS_OFFSET = offsetOf(LAYOUT, "max_domains");
    public static final int BUFFER_OFFSET = offsetOf(LAYOUT, "buffer");
    public static final int NUM_DOMAINS_OFFSET = offsetOf(LAYOUT, "num_domains");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public int firstDomain() { return getU16(FIRST_DOMAIN_OFFSET); }
    public XenSysctlGetdomaininfolist firstDomain(int v) { putU16(FIRST_DOMAIN_OFFSET, v); return this; }
    public long maxDomains() { return getU32(MAX_DOMAINS_OFFSET); }
    public XenSysctlGetdomaininfolist maxDomains(long v) { putU32(MAX_DOMAINS_OFFSET, v); return this; }
    public long buffer() { return getU64(BUFFER_OFFSET); }
    public XenSysctlGetdomaininfolist buffer(long v) { putU64(BUFFER_OFFSET, v); return this; }
    public long numDomains() { return getU32(NUM_DOMAINS_OFFSET); }
    public XenSysctlGetdomaininfolist numDomains(long v) { putU32(NUM_DOMAINS_OFFSET, v); return this; }
}
