package org.fallow.xc;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.xen.DomctlConstants;
import org.fallow.abi.xen.SysctlConstants;
import org.fallow.abi.xen.XenDomctl;
import org.fallow.abi.xen.XenSysctl;
import org.fallow.xc.transport.HypercallBuffer;
import org.fallow.xc.transport.HypervisorConnection;
import org.fallow.xc.transport.XsClient;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;

/**
 * libxc's {@code xc_interface}: a toolstack connection to the hypervisor plus its hypercall-buffer arena. The xc_*
 * calls live in small classes that take an XcHandle (XcDomain, XcTmem, XcMemPaging, ...).
 */
public final class XcHandle implements AutoCloseable {

    private final HypervisorConnection conn;

    private XcHandle(HypervisorConnection conn) { this.conn = conn; }

    /** xc_interface_open on the default socket ($FALLOW_RUN_DIR/hypervisor.sock) with the 4.12 ABI. */
    public static XcHandle open() throws IOException { return open(defaultSocket(), AbiProfile.XEN_4_12); }

    public static XcHandle open(Path socket, AbiProfile profile) throws IOException {
        return new XcHandle(HypervisorConnection.toolstack(socket, profile));
    }

    /** $FALLOW_RUN_DIR/hypervisor.sock, run dir default /tmp/fallow-$USER (as the hypervisor's default). */
    public static Path defaultSocket() { return org.fallow.abi.wire.RunDirectory.defaultSocket(); }

    public HypervisorConnection connection() { return conn; }

    public HypercallBuffer buffers() { return conn.buffers(); }

    public XsClient xenstore() { return conn.xenstore(); }

    /** A raw hypercall (privcmd ioctl): Xen's return value. */
    public long hypercall(long op, long... args) throws IOException { return conn.hypercall(op, args); }

    /**
     * libxc's do_domctl: sets interface_version, bounces the 144-byte {@code domctl} through the arena, issues the
     * hypercall and copies the (possibly updated) struct back into {@code domctl}. Returns Xen's value.
     */
    public long domctl(MemorySegment domctl) throws IOException {
        return control(Hypercalls.DOMCTL, domctl, XenDomctl.SIZE, DomctlConstants.XEN_DOMCTL_INTERFACE_VERSION);
    }

    /** libxc's do_sysctl, as {@link #domctl} for the 136-byte xen_sysctl. */
    public long sysctl(MemorySegment sysctl) throws IOException {
        return control(Hypercalls.SYSCTL, sysctl, XenSysctl.SIZE, SysctlConstants.XEN_SYSCTL_INTERFACE_VERSION);
    }

    private long control(int op, MemorySegment struct, int size, int version) throws IOException {
        if (struct.byteSize() != size) throw new IllegalArgumentException("struct must be " + size + " bytes, is " + struct.byteSize());
        struct.set(U32_UNALIGNED, XenDomctl.INTERFACE_VERSION_OFFSET, version);
        try (HypercallBuffer.Buf b = buffers().copyOf(struct)) {
            long ret = conn.hypercall(op, b.handle());
            struct.copyFrom(b.segment());
            return ret;
        }
    }

    @Override public void close() { conn.close(); }
}
