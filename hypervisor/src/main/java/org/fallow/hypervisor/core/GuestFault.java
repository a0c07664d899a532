package org.fallow.hypervisor.core;

/** A guest handle could not be accessed; hypercall handlers return -EFAULT (or the op's documented value). */
public final class GuestFault extends Exception {
    private final long handle;
    private final long len;

    public GuestFault(long handle, long len, String why) {
        super(String.format("bad guest handle 0x%x len %d: %s", handle, len, why), null, false, false);
        this.handle = handle;
        this.len = len;
    }

    public long handle() { return handle; }
    public long len() { return len; }
}
