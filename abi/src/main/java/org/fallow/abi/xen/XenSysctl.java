package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;

/**
 * {@code struct xen_sysctl} (sysctl.h; 136 bytes), the argument of {@code __HYPERVISOR_sysctl} (35).
 * <pre>
 * xen_sysctl (136 bytes)
 * offset size  member                 type
 *      0    4  cmd                    le32
 *      4    4  interface_version      le32
 *      8  128  u                      union
 *      8   56    tmem_op              struct
 *      8    4      cmd                le32
 *     12    4      pool_id            le32
 *     16    4      cli_id             le32
 *     20    4      len                le32
 *     24    4      arg                le32
 *     28    4      pad                le32
 *     32   24      oid                struct
 *     32   24        oid              le64[3]
 *     56    8      u                  union
 *     56    8        buf              le64
 *     56    8        client           le64
 *     56    8        pool             le64
 *      8  112    physinfo             struct
 *      8    4      threads_per_core   le32
 *     12    4      cores_per_socket   le32
 *     16    4      nr_cpus            le32
 *     20    4      max_cpu_id         le32
 *     24    4      nr_nodes           le32
 *     28    4      max_node_id        le32
 *     32    4      cpu_khz            le32
 *     36    4      capabilities       le32
 *     40    4      arch_capabilities  le32
 *     44    4      pad                le32
 *     48    8      total_pages        le64
 *     56    8      free_pages         le64
 *     64    8      scrub_pages        le64
 *     72    8      outstanding_pages  le64
 *     80    8      max_mfn            le64
 *     88   32      hw_cap             le32[8]
 *      8   24    getdomaininfolist    struct
 *      8    2      first_domain       le16
 *     10    2      (padding)
 *     12    4      max_domains        le32
 *     16    8      buffer             le64
 *     24    4      num_domains        le32
 *     28    4      (padding)
 *      8  128    pad                  byte[128]
 * </pre>
 * The payload views ({@link #tmemOp()}, {@link #physinfo()}, {@link #getdomaininfolist()}) are flyweights over
 * {@code u} of the same segment; each call re-points one cached instance.
 */
public final class XenSysctl extends Flyweight<XenSysctl> {
    public static final int U_SIZE = 128;
    public static final StructLayout LAYOUT = struct("xen_sysctl",
            u32("cmd"),
            u32("interface_version"),
            union("u",
                    XenSysctlTmemOp.LAYOUT.withName("tmem_op"),
                    XenSysctlPhysinfo.LAYOUT.withName("physinfo"),
                    XenSysctlGetdomaininfolist.LAYOUT.withName("getdomaininfolist"),
                    array("pad", U_SIZE, U8)));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int CMD_OFFSET = offsetOf(LAYOUT, "cmd");
    public static final int INTERFACE_VERSION_OFFSET = offsetOf(LAYOUT, "interface_version");
    public static final int U_OFFSET = offsetOf(LAYOUT, "u");

    private final XenSysctlTmemOp tmemOp = new XenSysctlTmemOp();
    private final XenSysctlPhysinfo physinfo = new XenSysctlPhysinfo();
    private final XenSysctlGetdomaininfolist getdomaininfolist = new XenSysctlGetdomaininfolist();

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long cmd() { return getU32(CMD_OFFSET); }
    public XenSysctl cmd(long v) { putU32(CMD_OFFSET, v); return this; }
    public long interfaceVersion() { return getU32(INTERFACE_VERSION_OFFSET); }
    public XenSysctl interfaceVersion(long v) { putU32(INTERFACE_VERSION_OFFSET, v); return this; }


    public XenSysctlTmemOp tmemOp() { return tmemOp.wrap(segment(), offset() + U_OFFSET); }
    public XenSysctlPhysinfo physinfo() { return physinfo.wrap(segment(), offset() + U_OFFSET); }
    public XenSysctlGetdomaininfolist getdomaininfolist() { return getdomaininfolist.wrap(segment(), offset() + U_OFFSET); }
}
