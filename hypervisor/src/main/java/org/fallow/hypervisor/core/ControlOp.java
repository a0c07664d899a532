package org.fallow.hypervisor.core;

import java.lang.foreign.MemorySegment;

/**
 * One domctl or sysctl being handled: {@code op} is the hypervisor's private copy of the whole {@code xen_domctl}
 * (144 bytes) or {@code xen_sysctl} (136 bytes), copied in from the caller. Whether it is copied back follows Xen:
 * sysctl copies back when the result is 0, domctl only when the handler asks ({@link #copyBack()}).
 */
public final class ControlOp {
    private final Caller caller;
    private final MemorySegment op;
    private boolean copyBack;

    public ControlOp(Caller caller, MemorySegment op) {
        this.caller = caller;
        this.op = op;
    }

    public Caller caller() { return caller; }

    public MemorySegment op() { return op; }

    public void copyBack() { copyBack = true; }

    public boolean copyBackRequested() { return copyBack; }

    /** Handler of one domctl/sysctl command. Returns Xen's value (0 or a negated errno, or a count where Xen does). */
    @FunctionalInterface
    public interface Handler {
        long invoke(ControlOp op);
    }
}
