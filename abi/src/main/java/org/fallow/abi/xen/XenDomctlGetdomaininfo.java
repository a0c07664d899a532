package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import java.util.Objects;

/**
 * {@code struct xen_domctl_getdomaininfo} ({@code XEN_DOMCTL_getdomaininfo}, 5, and the records of
 * {@code XEN_SYSCTL_getdomaininfolist}; 112 bytes) in the layout of the installed (Xen 4.17) domctl.h. Up to
 * {@code handle} the offsets equal 4.12's; 4.12 ended with {@code cpupool} (4.17 adds {@code gpaddr_bits} and
 * {@code arch_config}).
 * <pre>
 * xen_domctl_getdomaininfo (112 bytes)
 * offset size  member             type
 *      0    2  domain             le16
 *      2    2  pad1               le16
 *      4    4  flags              le32
 *      8    8  tot_pages          le64
 *     16    8  max_pages          le64
 *     24    8  outstanding_pages  le64
 *     32    8  shr_pages          le64
 *     40    8  paged_pages        le64
 *     48    8  shared_info_frame  le64
 *     56    8  cpu_time           le64
 *     64    4  nr_online_vcpus    le32
 *     68    4  max_vcpu_id        le32
 *     72    4  ssidref            le32
 *     76   16  handle             byte[16]
 *     92    4  cpupool            le32
 *     96    1  gpaddr_bits        byte
 *     97    7  pad2               byte[7]
 *    104    8  arch_config        struct
 *    104    4    emulation_flags  le32
 *    108    4    misc_flags       le32
 * </pre>
 */
public final class XenDomctlGetdomaininfo extends Flyweight<XenDomctlGetdomaininfo> {
    public static final StructLayout LAYOUT = struct("xen_domctl_getdomaininfo",
            u16("domain"),
            u16("pad1"),
            u32("flags"),
            u64("tot_pages"),
            u64("max_pages"),
            u64("outstanding_pages"),
            u64("shr_pages"),
            u64("paged_pages"),
            u64("shared_info_frame"),
            u64("cpu_time"),
            u32("nr_online_vcpus"),
            u32("max_vcpu_id"),
            u32("ssidref"),
            array("handle", 16, U8),
            u32("cpupool"),
            u8("gpaddr_bits"),
            array("pad2", 7, U8),
            XenArchDomainconfig.LAYOUT.withName("arch_config"));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int DOMAIN_OFFSET = offsetOf(LAYOUT, "domain");
    public static final int FLAGS_OFFSET = offsetOf(LAYOUT, "flags");
    public static final int TOT_PAGES_OFFSET = offsetOf(LAYOUT, "tot_pages");
    public static final int MAX_PAGES_OFFSET = offsetOf(LAYOUT, "max_pages");
    public static final int OUTSTANDING_PAGES_OFFSET = offsetOf(LAYOUT, "outstanding_pages");
    public static final int SHR_PAGES_OFFSET = offsetOf(LAYOUT, "shr_pages");
    public static final int PAGED_PAGES_OFFSET = offsetOf(LAYOUT, "paged_pages");
    public static final int SHARED_INFO_FRAME_OFFSET = offsetOf(LAYOUT, "shared_info_frame");
    public static final int CPU_TIME_OFFSET = offsetOf(LAYOUT, "cpu_time");
    public static final int NR_ONLINE_VCPUS_OFFSET = offsetOf(LAYOUT, "nr_online_vcpus");
    public static final int MAX_VCPU_ID_OFFSET = offsetOf(LAYOUT, "max_vcpu_id");
    public static final int SSIDREF_OFFSET = offsetOf(LAYOUT, "ssidref");
    public static final int HANDLE_OFFSET = offsetOf(LAYOUT, "handle");
    public static final int CPUPOOL_OFFSET = offsetOf(LAYOUT, "cpupool");
    public static final int GPADDR_BITS_OFFSET = offsetOf(LAYOUT, "gpaddr_bits");
    public static final int ARCH_CONFIG_OFFSET = offsetOf(LAYOUT, "arch_config");

    // the XEN_DOMINF_* bits of flags are in DomctlConstants

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public int domain() { return getU16(DOMAIN_OFFSET); }
    public XenDomctlGetdomaininfo domain(int v) { putU16(DOMAIN_OFFSET, v); return this; }
    public long flags() { return getU32(FLAGS_OFFSET); }
    public XenDomctlGetdomaininfo flags(long v) { putU32(FLAGS_OFFSET, v); return this; }
    public long totPages() { return getU64(TOT_PAGES_OFFSET); }
    public XenDomctlGetdomaininfo totPages(long v) { putU64(TOT_PAGES_OFFSET, v); return this; }
    public long maxPages() { return getU64(MAX_PAGES_OFFSET); }
    public XenDomctlGetdomaininfo maxPages(long v) { putU64(MAX_PAGES_OFFSET, v); return this; }
    public long outstandingPages() { return getU64(OUTSTANDING_PAGES_OFFSET); }
    public XenDomctlGetdomaininfo outstandingPages(long v) { putU64(OUTSTANDING_PAGES_OFFSET, v); return this; }
    public long shrPages() { return getU64(SHR_PAGES_OFFSET); }
    public XenDomctlGetdomaininfo shrPages(long v) { putU64(SHR_PAGES_OFFSET, v); return this; }
    public long pagedPages() { return getU64(PAGED_PAGES_OFFSET); }
    public XenDomctlGetdomaininfo pagedPages(long v) { putU64(PAGED_PAGES_OFFSET, v); return this; }
    public long sharedInfoFrame() { return getU64(SHARED_INFO_FRAME_OFFSET); }
    public XenDomctlGetdomaininfo sharedInfoFrame(long v) { putU64(SHARED_INFO_FRAME_OFFSET, v); return this; }
    public long cpuTime() { return getU64(CPU_TIME_OFFSET); }
    public XenDomctlGetdomaininfo cpuTime(long v) { putU64(CPU_TIME_OFFSET, v); return this; }
    public long nrOnlineVcpus() { return getU32(NR_ONLINE_VCPUS_OFFSET); }
    public XenDomctlGetdomaininfo nrOnlineVcpus(long v) { putU32(NR_ONLINE_VCPUS_OFFSET, v); return this; }
    public long maxVcpuId() { return getU32(MAX_VCPU_ID_OFFSET); }
    public XenDomctlGetdomaininfo maxVcpuId(long v) { putU32(MAX_VCPU_ID_OFFSET, v); return this; }
    public long ssidref() { return getU32(SSIDREF_OFFSET); }
    public XenDomctlGetdomaininfo ssidref(long v) { putU32(SSIDREF_OFFSET, v); return this; }
    public int handle(int i) { return getU8(HANDLE_OFFSET + Objects.checkIndex(i, 16)); }
    /** The 16-byte xen_domain_handle_t. */
    public byte[] handle() { return getBytes(HANDLE_OFFSET, 16); }
    public XenDomctlGetdomaininfo handle(int i, int v) { putU8(HANDLE_OFFSET + Objects.checkIndex(i, 16), v); return this; }
    public long cpupool() { return getU32(CPUPOOL_OFFSET); }
    public XenDomctlGetdomaininfo cpupool(long v) { putU32(CPUPOOL_OFFSET, v); return this; }
    public int gpaddrBits() { return getU8(GPADDR_BITS_OFFSET); }
    public XenDomctlGetdomaininfo gpaddrBits(int v) { putU8(GPADDR_BITS_OFFSET, v); return this; }
}
