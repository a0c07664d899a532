package org.fallow.xc;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.toolstack.HypercallPort;
import org.fallow.abi.toolstack.ToolstackCalls;
import org.fallow.abi.xen.XenDomctl;
import org.fallow.abi.xen.XenSysctl;
import org.fallow.xc.transport.HypercallBuffer;
import org.fallow.xc.transport.HypervisorConnection;
import org.fallow.xc.transport.XsClient;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * libxc's {@code xc_interface}: a toolstack connection to the hypervisor plus its hypercall-buffer arena. The xc_*
 * calls live in small classes that take an XcHandle (XcDomain, XcTmem, XcMemPaging, ...).
 */
public final class XcHandle implements HypercallPort, AutoCloseable {

    private final HypervisorConnection conn;
    private final ToolstackCalls calls = new ToolstackCalls(this);

    private XcHandle(HypervisorConnection conn) { this.conn = conn; }

    /** The toolstack encoder over this handle (XcDomain and XcMemPaging give its calls their libxc names). */
    public ToolstackCalls calls() { return calls; }

    @Override public HypercallBuffer.Buf scratch(long size) { return buffers().allocate(size); }

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
    @Override public long hypercall(long op, long... args) throws IOException { return conn.hypercall(op, args); }

    /**
     * libxc's do_domctl: sets interface_version, bounces the 144-byte {@code domctl} through the arena, issues the
     * hypercall and copies the (possibly updated) struct back into {@code domctl}. Returns Xen's value.
     */
    public long domctl(MemorySegment domctl) throws IOException {
        exactly(domctl, XenDomctl.SIZE);
        return calls.domctl(new XenDomctl().wrap(domctl, 0));
    }

    /** libxc's do_sysctl, as {@link #domctl} for the 136-byte xen_sysctl. */
    public long sysctl(MemorySegment sysctl) throws IOException {
        exactly(sysctl, XenSysctl.SIZE);
        return calls.sysctl(new XenSysctl().wrap(sysctl, 0));
    }

    private static void exactly(MemorySegment struct, int size) {
        if (struct.byteSize() != size) throw new IllegalArgumentException("struct must be " + size + " bytes, is " + struct.byteSize());
    }

    @Override public void close() { conn.close(); }
}
