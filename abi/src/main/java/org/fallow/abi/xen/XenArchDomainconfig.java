package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;

/**
 * {@code struct xen_arch_domainconfig} (arch-x86/xen.h, installed 4.17 header; 8 bytes). Embedded in
 * {@link XenDomctlCreatedomain} ({@code arch}) and {@link XenDomctlGetdomaininfo} ({@code arch_config}).
 * <pre>
 * xen_arch_domainconfig (8 bytes)
 * offset size  member           type
 *      0    4  emulation_flags  le32
 *      4    4  misc_flags       le32
 * </pre>
 */
public final class XenArchDomainconfig extends Flyweight<XenArchDomainconfig> {
    public static final StructLayout LAYOUT = struct("xen_arch_domainconfig",
            u32("emulation_flags"),
            u32("misc_flags"));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int EMULATION_FLAGS_OFFSET = offsetOf(LAYOUT, "emulation_flags");
    public static final int MISC_FLAGS_OFFSET = offsetOf(LAYOUT, "misc_flags");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long emulationFlags() { return getU32(EMULATION_FLAGS_OFFSET); }
    public XenArchDomainconfig emulationFlags(long v) { putU32(EMULATION_FLAGS_OFFSET, v); return this; }
    public long miscFlags() { return getU32(MISC_FLAGS_OFFSET); }
    public XenArchDomainconfig miscFlags(long v) { putU32(MISC_FLAGS_OFFSET, v); return this; }
}
