package org.fallow.abi.wire;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import org.fallow.abi.xen.Flyweight;

/**
 * EVTCHN_SEND payload (both directions, PROTOCOL §5; {@code struct fallow_evtchn_send}): the port, then 4 zero bytes.
 * <pre>
 * fallow_evtchn_send (8 bytes)
 * offset size  member  type
 *      0    4  port    le32
 *      4    4  pad     le32
 * </pre>
 */
public final class EvtchnSend extends Flyweight<EvtchnSend> {
    public static final StructLayout LAYOUT = struct("fallow_evtchn_send", u32("port"), u32("pad"));
    public static final int PORT_OFFSET = offsetOf(LAYOUT, "port");
    public static final int PAD_OFFSET = offsetOf(LAYOUT, "pad");
    public static final int LENGTH = (int) LAYOUT.byteSize();

    @Override public int size() { return LENGTH; }
    @Override public StructLayout layout() { return LAYOUT; }

    public int port() { return getI32(PORT_OFFSET); }
    public EvtchnSend port(int v) { putU32(PORT_OFFSET, v); putU32(PAD_OFFSET, 0); return this; }

    public static byte[] encode(int port) {
        byte[] out = new byte[LENGTH];
        new EvtchnSend().wrap(out).port(port);
        return out;
    }
}
