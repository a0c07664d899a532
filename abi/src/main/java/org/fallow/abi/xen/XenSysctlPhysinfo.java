package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import java.util.Objects;

/**
 * {@code struct xen_sysctl_physinfo} ({@code XEN_SYSCTL_physinfo}, 3; 112 bytes), in the layout of the installed
 * (Xen 4.17) sysctl.h. Xen 4.12 had no {@code arch_capabilities}/{@code pad} words, so its page counters started at
 * offset 32; Fallow's toolstack and hypervisor both use this layout (see docs/ABI.md).
 * <pre>
 * xen_sysctl_physinfo (112 bytes)
 * offset size  member             type
 *      0    4  threads_per_core   le32
 *      4    4  cores_per_socket   le32
 *      8    4  nr_cpus            le32
 *     12    4  max_cpu_id         le32
 *     16    4  nr_nodes           le32
 *     20    4  max_node_id        le32
 *     24    4  cpu_khz            le32
 *     28    4  capabilities       le32
 *     32    4  arch_capabilities  le32
 *     36    4  pad                le32
 *     40    8  total_pages        le64
 *     48    8  free_pages         le64
 *     56    8  scrub_pages        le64
 *     64    8  outstanding_pages  le64
 *     72    8  max_mfn            le64
 *     80   32  hw_cap             le32[8]
 * </pre>
 */
public final class XenSysctlPhysinfo extends Flyweight<XenSysctlPhysinfo> {
    public static final StructLayout LAYOUT = struct("xen_sysctl_physinfo",
            u32("threads_per_core"),
            u32("cores_per_socket"),
            u32("nr_cpus"),
            u32("max_cpu_id"),
            u32("nr_nodes"),
            u32("max_node_id"),
            u32("cpu_khz"),
            u32("capabilities"),
            u32("arch_capabilities"),
            u32("pad"),
            u64("total_pages"),
            u64("free_pages"),
            u64("scrub_pages"),
            u64("outstanding_pages"),
            u64("max_mfn"),
            array("hw_cap", 8, U32));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int THREADS_PER_CORE_OFFSET = offsetOf(LAYOUT, "threads_per_core");
    public static final int CORES_PER_SOCKET_OFFSET = offsetOf(LAYOUT, "cores_per_socket");
    public static final int NR_CPUS_OFFSET = offsetOf(LAYOUT, "nr_cpus");
    public static final int MAX_CPU_ID_OFFSET = offsetOf(LAYOUT, "max_cpu_id");
    public static final int NR_NODES_OFFSET = offsetOf(LAYOUT, "nr_nodes");
    public static final int MAX_NODE_ID_OFFSET = offsetOf(LAYOUT, "max_node_id");
    public static final int CPU_KHZ_OFFSET = offsetOf(LAYOUT, "cpu_khz");
    public static final int CAPABILITIES_OFFSET = offsetOf(LAYOUT, "capabilities");
    public static final int TOTAL_PAGES_OFFSET = offsetOf(LAYOUT, "total_pages");
    public static final int FREE_PAGES_OFFSET = offsetOf(LAYOUT, "free_pages");
    public static final int SCRUB_PAGES_OFFSET = offsetOf(LAYOUT, "scrub_pages");
    public static final int OUTSTANDING_PAGES_OFFSET = offsetOf(LAYOUT, "outstanding_pages");
    public static final int MAX_MFN_OFFSET = offsetOf(LAYOUT, "max_mfn");
    public static final int HW_CAP_OFFSET = offsetOf(LAYOUT, "hw_cap");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long threadsPerCore() { return getU32(THREADS_PER_CORE_OFFSET); }
    public XenSysctlPhysinfo threadsPerCore(long v) { putU32(THREADS_PER_CORE_OFFSET, v); return this; }
    public long coresPerSocket() { return getU32(CORES_PER_SOCKET_OFFSET); }
    public XenSysctlPhysinfo coresPerSocket(long v) { putU32(CORES_PER_SOCKET_OFFSET, v); return this; }
    public long nrCpus() { return getU32(NR_CPUS_OFFSET); }
    public XenSysctlPhysinfo nrCpus(long v) { putU32(NR_CPUS_OFFSET, v); return this; }
    public long maxCpuId() { return getU32(MAX_CPU_ID_OFFSET); }
    public XenSysctlPhysinfo maxCpuId(long v) { putU32(MAX_CPU_ID_OFFSET, v); return this; }
    public long nrNodes() { return getU32(NR_NODES_OFFSET); }
    public XenSysctlPhysinfo nrNodes(long v) { putU32(NR_NODES_OFFSET, v); return this; }
    public long maxNodeId() { return getU32(MAX_NODE_ID_OFFSET); }
    public XenSysctlPhysinfo maxNodeId(long v) { putU32(MAX_NODE_ID_OFFSET, v); return this; }
    public long cpuKhz() { return getU32(CPU_KHZ_OFFSET); }
    public XenSysctlPhysinfo cpuKhz(long v) { putU32(CPU_KHZ_OFFSET, v); return this; }
    public long capabilities() { return getU32(CAPABILITIES_OFFSET); }
    public XenSysctlPhysinfo capabilities(long v) { putU32(CAPABILITIES_OFFSET, v); return this; }
    public long totalPages() { return getU64(TOTAL_PAGES_OFFSET); }
    public XenSysctlPhysinfo totalPages(long v) { putU64(TOTAL_PAGES_OFFSET, v); return this; }
    public long freePages() { return getU64(FREE_PAGES_OFFSET); }
    public XenSysctlPhysinfo freePages(long v) { putU64(FREE_PAGES_OFFSET, v); return this; }
    public long scrubPages() { return getU64(SCRUB_PAGES_OFFSET); }
    public XenSysctlPhysinfo scrubPages(long v) { putU64(SCRUB_PAGES_OFFSET, v); return this; }
    public long outstandingPages() { return getU64(OUTSTANDING_PAGES_OFFSET); }
    public XenSysctlPhysinfo outstandingPages(long v) { putU64(OUTSTANDING_PAGES_OFFSET, v); return this; }
    public long maxMfn() { return getU64(MAX_MFN_OFFSET); }
    public XenSysctlPhysinfo maxMfn(long v) { putU64(MAX_MFN_OFFSET, v); return this; }
    public long hwCap(int i) { return getU32(HW_CAP_OFFSET + 4L * Objects.checkIndex(i, 8)); }
    public XenSysctlPhysinfo hwCap(int i, long v) { putU32(HW_CAP_OFFSET + 4L * Objects.checkIndex(i, 8), v); return this; }
}
