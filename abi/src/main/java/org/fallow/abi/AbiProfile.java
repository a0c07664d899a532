package org.fallow.abi;

/**
 * The two tmem ABI profiles a client can speak. The memory_op / vm_event / sysctl / domctl structs are the
 * RELEASE-4.12.0 ones in both profiles; only {@code tmem_op} (and how tmem control is reached) differs.
 */
public enum AbiProfile {
    /** RELEASE-4.12.0: 56-byte tmem_op, control through XEN_SYSCTL_tmem_op. Wire code 1. */
    XEN_4_12("4.12", 1),
    /** The 2009 tmem ABI (6009f4ddb2 .. 734a7f6677): 40-byte tmem_op with TMEM_CONTROL. Wire code 2. */
    TMEM_2009("2009", 2);

    private final String label;
    private final int wireCode;

    AbiProfile(String label, int wireCode) {
        this.label = label;
        this.wireCode = wireCode;
    }

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
        throw new IllegalArgumentException("unknown ABI profile '" + label + "' (4.12 or 2009)");
    }
}
