package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;

/**
 * {@code struct xen_domctl} (domctl.h; 144 bytes), the argument of {@code __HYPERVISOR_domctl} (36).
 * <pre>
 *  0       4                   8        10          16                                              144
 *  +-------+-------------------+--------+-----------+------------------------------------------------+
 *  |  cmd  | interface_version | domain | _pad[3]   | u (128-byte union: createdomain, getdomaininfo, |
 *  |  u32  | u32 (= 0x11)      |  u16   | (u16 x 3) |    max_mem, max_vcpus, vm_event_op, pad[128])  |
 *  +-------+-------------------+--------+-----------+------------------------------------------------+
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
