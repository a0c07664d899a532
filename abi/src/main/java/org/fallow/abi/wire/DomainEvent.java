package org.fallow.abi.wire;

import java.nio.charset.StandardCharsets;

/**
 * DOMAIN_EVENT payload (hypervisor → guest): the guest's domain crashed or is being destroyed.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |             event (u32: 1 crashed, 2 destroyed)               |  0
 * +---------------------------------------------------------------+
 * |                        text_len (u32)                         |  4
 * +---------------------------------------------------------------+
 * |                     text[text_len] (UTF-8) ...                |  8
 * </pre>
 */
public final class DomainEvent extends Flyweight<DomainEvent> {
    public static final int CRASHED = 1;
    public static final int DESTROYED = 2;

    public static final int EVENT_OFFSET = 0;
    public static final int TEXT_LEN_OFFSET = 4;
    public static final int TEXT_OFFSET = 8;
    public static final int FIXED_LENGTH = 8;

    public int event() { return i32(EVENT_OFFSET); }
    public long textLength() { return u32(TEXT_LEN_OFFSET); }
    public String text() { return new String(bytes(TEXT_OFFSET, (int) textLength()), StandardCharsets.UTF_8); }

    public static byte[] encode(int event, String text) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(t.length, FrameHeader.MAX_PAYLOAD - FIXED_LENGTH);
        byte[] out = new byte[FIXED_LENGTH + n];
        DomainEvent e = new DomainEvent().wrap(out);
        e.i32(EVENT_OFFSET, event);
        e.i32(TEXT_LEN_OFFSET, n);
        System.arraycopy(t, 0, out, TEXT_OFFSET, n);
        return out;
    }
}
