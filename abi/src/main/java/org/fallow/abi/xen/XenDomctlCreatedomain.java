package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import java.util.Objects;

/**
 * {@code struct xen_domctl_createdomain} ({@code XEN_DOMCTL_createdomain}, 1; 64 bytes) in the layout of the
 * installed (Xen 4.17) domctl.h. Xen 4.12's struct had no {@code iommu_opts}, {@code grant_opts},
 * {@code vmtrace_size} or {@code cpupool_id} (it was 44 bytes); Fallow uses this one on both sides (see docs/ABI.md).
 * <pre>
 * xen_domctl_createdomain (64 bytes)
 * offset size  member               type
 *      0    4  ssidref              le32
 *      4   16  handle               byte[16]
 *     20    4  flags                le32
 *     24    4  iommu_opts           le32
 *     28    4  max_vcpus            le32
 *     32    4  max_evtchn_port      le32
 *     36    4  max_grant_frames     le32
 *     40    4  max_maptrack_frames  le32
 *     44    4  grant_opts           le32
 *     48    4  vmtrace_size         le32
 *     52    4  cpupool_id           le32
 *     56    8  arch                 struct
 *     56    4    emulation_flags    le32
 *     60    4    misc_flags         le32
 * </pre>
 */
public final class XenDomctlCreatedomain extends Flyweight<XenDomctlCreatedomain> {
    public static final int HANDLE_LEN = 16;
    public static final StructLayout LAYOUT = struct("xen_domctl_createdomain",
            u32("ssidref"),
            array("handle", HANDLE_LEN, U8),
            u32("flags"),
            u32("iommu_opts"),
            u32("max_vcpus"),
            u32("max_evtchn_port"),
            i32("max_grant_frames"),
            i32("max_maptrack_frames"),
            u32("grant_opts"),
            u32("vmtrace_size"),
            u32("cpupool_id"),
            XenArchDomainconfig.LAYOUT.withName("arch"));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int SSIDREF_OFFSET = offsetOf(LAYOUT, "ssidref");
    public static final int HANDLE_OFFSET = offsetOf(LAYOUT, "handle");
    public static final int FLAGS_OFFSET = offsetOf(LAYOUT, "flags");
    public static final int IOMMU_OPTS_OFFSET = offsetOf(LAYOUT, "iommu_opts");
    public static final int MAX_VCPUS_OFFSET = offsetOf(LAYOUT, "max_vcpus");
    public static final int MAX_EVTCHN_PORT_OFFSET = offsetOf(LAYOUT, "max_evtchn_port");
    public static final int MAX_GRANT_FRAMES_OFFSET = offsetOf(LAYOUT, "max_grant_frames");
    public static final int MAX_MAPTRACK_FRAMES_OFFSET = offsetOf(LAYOUT, "max_maptrack_frames");
    public static final int GRANT_OPTS_OFFSET = offsetOf(LAYOUT, "grant_opts");
    public static final int VMTRACE_SIZE_OFFSET = offsetOf(LAYOUT, "vmtrace_size");
    public static final int CPUPOOL_ID_OFFSET = offsetOf(LAYOUT, "cpupool_id");
    public static final int ARCH_OFFSET = offsetOf(LAYOUT, "arch");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long ssidref() { return getU32(SSIDREF_OFFSET); }
    public XenDomctlCreatedomain ssidref(long v) { putU32(SSIDREF_OFFSET, v); return this; }
    public int handle(int i) { return getU8(HANDLE_OFFSET + Objects.checkIndex(i, HANDLE_LEN)); }
    /** The 16-byte xen_domain_handle_t. */
    public byte[] handle() { return getBytes(HANDLE_OFFSET, 16); }
    public XenDomctlCreatedomain handle(byte[] v) {
        if (v.length != 16) throw new IllegalArgumentException("a domain handle is 16 bytes");
        putBytes(HANDLE_OFFSET, v);
        return this;
    }
    public XenDomctlCreatedomain handle(int i, int v) { putU8(HANDLE_OFFSET + Objects.checkIndex(i, HANDLE_LEN), v); return this; }
    public long flags() { return getU32(FLAGS_OFFSET); }
    public XenDomctlCreatedomain flags(long v) { putU32(FLAGS_OFFSET, v); return this; }
    public long iommuOpts() { return getU32(IOMMU_OPTS_OFFSET); }
    public XenDomctlCreatedomain iommuOpts(long v) { putU32(IOMMU_OPTS_OFFSET, v); return this; }
    public long maxVcpus() { return getU32(MAX_VCPUS_OFFSET); }
    public XenDomctlCreatedomain maxVcpus(long v) { putU32(MAX_VCPUS_OFFSET, v); return this; }
    public long maxEvtchnPort() { return getU32(MAX_EVTCHN_PORT_OFFSET); }
    public XenDomctlCreatedomain maxEvtchnPort(long v) { putU32(MAX_EVTCHN_PORT_OFFSET, v); return this; }
    public int maxGrantFrames() { return getI32(MAX_GRANT_FRAMES_OFFSET); }
    public XenDomctlCreatedomain maxGrantFrames(int v) { putU32(MAX_GRANT_FRAMES_OFFSET, v); return this; }
    public int maxMaptrackFrames() { return getI32(MAX_MAPTRACK_FRAMES_OFFSET); }
    public XenDomctlCreatedomain maxMaptrackFrames(int v) { putU32(MAX_MAPTRACK_FRAMES_OFFSET, v); return this; }
    public long grantOpts() { return getU32(GRANT_OPTS_OFFSET); }
    public XenDomctlCreatedomain grantOpts(long v) { putU32(GRANT_OPTS_OFFSET, v); return this; }
    public long vmtraceSize() { return getU32(VMTRACE_SIZE_OFFSET); }
    public XenDomctlCreatedomain vmtraceSize(long v) { putU32(VMTRACE_SIZE_OFFSET, v); return this; }
    public long cpupoolId() { return getU32(CPUPOOL_ID_OFFSET); }
    public XenDomctlCreatedomain cpupoolId(long v) { putU32(CPUPOOL_ID_OFFSET, v); return this; }
    public long archEmulationFlags() { return getU32(ARCH_OFFSET + XenArchDomainconfig.EMULATION_FLAGS_OFFSET); }
    public XenDomctlCreatedomain archEmulationFlags(long v) { putU32(ARCH_OFFSET + XenArchDomainconfig.EMULATION_FLAGS_OFFSET, v); return this; }
}
