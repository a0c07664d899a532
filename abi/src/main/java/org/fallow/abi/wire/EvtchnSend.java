package org.fallow.abi.wire;

/**
 * EVTCHN_SEND payload (both directions, PROTOCOL §5), 8 bytes.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                          port (u32)                           |  0
 * +---------------------------------------------------------------+
 * |                           pad (0)                             |  4
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class EvtchnSend extends Flyweight<EvtchnSend> {
    public static final int PORT_OFFSET = 0;
    public static final int PAD_OFFSET = 4;
    public static final int LENGTH = 8;

    public int port() { return i32(PORT_OFFSET); }
    public EvtchnSend port(int v) { i32(PORT_OFFSET, v); i32(PAD_OFFSET, 0); return this; }

    public static byte[] encode(int port) {
        byte[] out = new byte[LENGTH];
        new EvtchnSend().wrap(out).port(port);
        return out;
    }
}
