package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;

/**
 * {@code struct xen_domctl} (domctl.h; 144 bytes), the argument of {@code __HYPERVISOR_domctl} (36).
 * <pre>
 * xen_domctl (144 bytes)
 * offset size  member                   type
 *      0    4  cmd                      le32
 *      4    4  interface_version        le32
 *      8    2  domain                   le16
 *     10    6  _pad                     le16[3]
 *     16  128  u                        union
 *     16   64    createdomain           struct
 *     16    4      ssidref              le32
 *     20   16      handle               byte[16]
 *     36    4      flags                le32
 *     40    4      iommu_opts           le32
 *     44    4      max_vcpus            le32
 *     48    4      max_evtchn_port      le32
 *     52    4      max_grant_frames     le32
 *     56    4      max_maptrack_frames  le32
 *     60    4      grant_opts           le32
 *     64    4      vmtrace_size         le32
 *     68    4      cpupool_id           le32
 *     72    8      arch                 struct
 *     72    4        emulation_flags    le32
 *     76    4        misc_flags         le32
 *     16  112    getdomaininfo          struct
 *     16    2      domain               le16
 *     18    2      pad1                 le16
 *     20    4      flags                le32
 *     24    8      tot_pages            le64
 *     32    8      max_pages            le64
 *     40    8      outstanding_pages    le64
 *     48    8      shr_pages            le64
 *     56    8      paged_pages          le64
 *     64    8      shared_info_frame    le64
 *     72    8      cpu_time             le64
 *     80    4      nr_online_vcpus      le32
 *     84    4      max_vcpu_id          le32
 *     88    4      ssidref              le32
 *     92   16      handle               byte[16]
 *    108    4      cpupool              le32
 *    112    1      gpaddr_bits          byte
 *    113    7      pad2                 byte[7]
 *    120    8      arch_config          struct
 *    120    4        emulation_flags    le32
 *    124    4        misc_flags         le32
 *     16    8    max_mem                struct
 *     16    8      max_memkb            le64
 *     16    4    max_vcpus              struct
 *     16    4      max                  le32
 *     16   12    vm_event_op            struct
 *     16    4      op                   le32
 *     20    4      mode                 le32
 *     24    4      port                 le32
 *     16  128    pad                    byte[128]
 * </pre>
 * At 4.12 the 6 bytes after {@code domain} were unnamed alignment padding; the installed header names them
 * {@code _pad}; the offsets are the same.
 */
public final class XenDomctl extends Flyweight<XenDomctl> {
    public static final int U_SIZE = 128;
    public static final StructLayout LAYOUT = struct("xen_domctl",
            u32("cmd"),
            u32("interface_version"),
            u16("domain"),
            array("_pad", 3, U16),
            union("u",
                    XenDomctlCreatedomain.LAYOUT.withName("createdomain"),
                    XenDomctlGetdomaininfo.LAYOUT.withName("getdomaininfo"),
                    XenDomctlMaxMem.LAYOUT.withName("max_mem"),
                    XenDomctlMaxVcpus.LAYOUT.withName("max_vcpus"),
                    XenDomctlVmEventOp.LAYOUT.withName("vm_event_op"),
                    array("pad", U_SIZE, U8)));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int CMD_OFFSET = offsetOf(LAYOUT, "cmd");
    public static final int INTERFACE_VERSION_OFFSET = offsetOf(LAYOUT, "interface_version");
    public static final int DOMAIN_OFFSET = offsetOf(LAYOUT, "domain");
    public static final int U_OFFSET = offsetOf(LAYOUT, "u");

    private final XenDomctlCreatedomain createdomain = new XenDomctlCreatedomain();
    private final XenDomctlGetdomaininfo getdomaininfo = new XenDomctlGetdomaininfo();
    private final XenDomctlMaxMem maxMem = new XenDomctlMaxMem();
    private final XenDomctlMaxVcpus maxVcpus = new XenDomctlMaxVcpus();
    private final XenDomctlVmEventOp vmEventOp = new XenDomctlVmEventOp();

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long cmd() { return getU32(CMD_OFFSET); }
    public XenDomctl cmd(long v) { putU32(CMD_OFFSET, v); return this; }
    public long interfaceVersion() { return getU32(INTERFACE_VERSION_OFFSET); }
    public XenDomctl interfaceVersion(long v) { putU32(INTERFACE_VERSION_OFFSET, v); return this; }
    public int domain() { return getU16(DOMAIN_OFFSET); }
    public XenDomctl domain(int v) { putU16(DOMAIN_OFFSET, v); return this; }

    public XenDomctlCreatedomain createdomain() { return createdomain.wrap(segment(), offset() + U_OFFSET); }
    public XenDomctlGetdomaininfo getdomaininfo() { return getdomaininfo.wrap(segment(), offset() + U_OFFSET); }
    public XenDomctlMaxMem maxMem() { return maxMem.wrap(segment(), offset() + U_OFFSET); }
    public XenDomctlMaxVcpus maxVcpus() { return maxVcpus.wrap(segment(), offset() + U_OFFSET); }
    public XenDomctlVmEventOp vmEventOp() { return vmEventOp.wrap(segment(), offset() + U_OFFSET); }
}
