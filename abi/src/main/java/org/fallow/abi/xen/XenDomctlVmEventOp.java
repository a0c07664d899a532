package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;

/**
 * {@code struct xen_domctl_vm_event_op} (domctl.h; 12 bytes), {@code xen_domctl.u.vm_event_op} for
 * {@code XEN_DOMCTL_vm_event_op} (56). At offsets 16/20/24 of {@link XenDomctl}.
 * <pre>
 * xen_domctl_vm_event_op (12 bytes)
 * offset size  member  type
 *      0    4  op      le32
 *      4    4  mode    le32
 *      8    4  port    le32
 * </pre>
 */
public final class XenDomctlVmEventOp extends Flyweight<XenDomctlVmEventOp> {
    public static final StructLayout LAYOUT = struct("xen_domctl_vm_event_op",
            u32("op"),
            u32("mode"),
            u32("port"));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int OP_OFFSET = offsetOf(LAYOUT, "op");
    public static final int MODE_OFFSET = offsetOf(LAYOUT, "mode");
    public static final int PORT_OFFSET = offsetOf(LAYOUT, "port");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long op() { return getU32(OP_OFFSET); }
    public XenDomctlVmEventOp op(long v) { putU32(OP_OFFSET, v); return this; }
    public long mode() { return getU32(MODE_OFFSET); }
    public XenDomctlVmEventOp mode(long v) { putU32(MODE_OFFSET, v); return this; }
    public long port() { return getU32(PORT_OFFSET); }
    public XenDomctlVmEventOp port(long v) { putU32(PORT_OFFSET, v); return this; }
}
