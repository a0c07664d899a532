package org.fallow.abi;

/**
 * The ABI profile a connection declares in its HELLO (PROTOCOL §2.1). 4.12 and 2009 share the RELEASE-4.12.0
 * memory_op / vm_event / sysctl / domctl structs and differ only in {@code tmem_op} (and how tmem control is reached).
 * 4.17 is what Debian's unmodified Xen 4.17 tools speak (through the privcmd bridge): 4.17's domctl/sysctl interface
 * versions, vm_event interface version 7 for the rings such a connection enables, 4.13+ paging-prep semantics, and no
 * tmem (tmem left Xen in 4.13: tmem_op answers -ENOSYS).
 */
public enum AbiProfile {
    /** RELEASE-4.12.0: 56-byte tmem_op, control through XEN_SYSCTL_tmem_op. Wire code 1. */
    XEN_4_12("4.12", 1),
    /** The 2009 tmem ABI (6009f4ddb2 .. 734a7f6677): 40-byte tmem_op with TMEM_CONTROL. Wire code 2. */
    TMEM_2009("2009", 2),
    /** Xen 4.17 (Debian bookworm's tools): domctl 0x15, sysctl 0x15, vm_event v7, no tmem. Wire code 3. */
    XEN_4_17("4.17", 3);

    /** XEN_DOMCTL_INTERFACE_VERSION of Xen 4.12 and of Xen 4.17 (domctl.h). */
    public static final int DOMCTL_VERSION_4_12 = 0x11, DOMCTL_VERSION_4_17 = 0x15;
    /** XEN_SYSCTL_INTERFACE_VERSION of Xen 4.12 and of Xen 4.17 (sysctl.h). */
    public static final int SYSCTL_VERSION_4_12 = 0x12, SYSCTL_VERSION_4_17 = 0x15;
    /** VM_EVENT_INTERFACE_VERSION of Xen 4.12 and of Xen 4.17 (vm_event.h). */
    public static final int VM_EVENT_VERSION_4_12 = 4, VM_EVENT_VERSION_4_17 = 7;
    /** XENVER_version of the emulated hypervisor as the profile reports it: major << 16 | minor. */
    public static final int XEN_VERSION_4_12 = 0x0004000C, XEN_VERSION_4_17 = 0x00040011;

    private final String label;
    private final int wireCode;

    AbiProfile(String label, int wireCode) {
        this.label = label;
        this.wireCode = wireCode;
    }

    /** The interface_version a xen_domctl of this profile carries (others get -EACCES). */
    public int domctlInterfaceVersion() { return this == XEN_4_17 ? DOMCTL_VERSION_4_17 : DOMCTL_VERSION_4_12; }

    /** The interface_version a xen_sysctl of this profile carries (others get -EACCES). */
    public int sysctlInterfaceVersion() { return this == XEN_4_17 ? SYSCTL_VERSION_4_17 : SYSCTL_VERSION_4_12; }

    /** The vm_event interface version of a ring enabled by a connection of this profile. */
    public int vmEventVersion() { return this == XEN_4_17 ? VM_EVENT_VERSION_4_17 : VM_EVENT_VERSION_4_12; }

    /** XENVER_version (and HELLO_ACK xen_version): 4.12 for the 4.12 and 2009 profiles, 4.17 for 4.17. */
    public int xenVersion() { return this == XEN_4_17 ? XEN_VERSION_4_17 : XEN_VERSION_4_12; }

    /** Has this profile a tmem_op hypercall? (tmem was removed from Xen in 4.13.) */
    public boolean hasTmem() { return this != XEN_4_17; }

    /** The profile column of {@code abi layouts}. */
    public String label() { return label; }

    /** The value of the {@code profile} field of the HELLO frame. */
    public int wireCode() { return wireCode; }

    public static AbiProfile fromWireCode(int code) {
        for (AbiProfile p : values()) if (p.wireCode == code) return p;
        return null;
    }

    public static AbiProfile fromLabel(String label) {
        for (AbiProfile p : values()) if (p.label.equals(label)) return p;
        throw new IllegalArgumentException("unknown ABI profile '" + label + "' (4.12, 2009 or 4.17)");
    }
}
