package org.fallow.abi.toolstack;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import org.fallow.abi.xen.DomctlConstants;

/**
 * How a toolstack reaches a hypervisor: issue a hypercall, and hand out scratch bytes in its hypercall-buffer arena
 * (PROTOCOL §3.1) whose guest handles the hypercall can name. {@link ToolstackCalls}, the one toolstack encoder, runs
 * over any port: libxc-shim's {@code XcHandle} (the wire client), the conformance suite's raw-frame toolstack, and the
 * hypervisor tests' in-process toolstack (which calls the core directly).
 */
public interface HypercallPort {
    /** One hypercall: Xen's return value (a negated errno on failure). */
    long hypercall(long op, long... args) throws IOException;

    /** {@code size} zeroed bytes of the arena, valid until closed. */
    Scratch scratch(long size) throws IOException;

    /** The {@code interface_version} this port's ABI profile puts in a domctl (0x11 at 4.12). */
    default int domctlInterfaceVersion() { return DomctlConstants.XEN_DOMCTL_INTERFACE_VERSION; }

    /** Bytes in the hypercall-buffer arena: the segment to fill and read, the handle to pass. */
    interface Scratch extends AutoCloseable {
        MemorySegment segment();

        long handle();

        @Override void close();
    }
}
