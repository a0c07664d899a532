package org.fallow.abi.wire;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;
import org.fallow.abi.xen.Flyweight;

/**
 * DOMAIN_EVENT payload (hypervisor → guest; {@code struct fallow_domain_event}): the guest's domain crashed (event 1)
 * or is being destroyed (event 2); 8 fixed bytes then {@code text_len} bytes of UTF-8 reason.
 * <pre>
 * fallow_domain_event (8 bytes)
 * offset size  member    type
 *      0    4  event     le32
 *      4    4  text_len  le32
 * </pre>
 */
public final class DomainEvent extends Flyweight<DomainEvent> {
    public static final int CRASHED = 1;
    public static final int DESTROYED = 2;

    public static final StructLayout LAYOUT = struct("fallow_domain_event",
            u32("event"),
            u32("text_len"));
    public static final int EVENT_OFFSET = offsetOf(LAYOUT, "event");
    public static final int TEXT_LEN_OFFSET = offsetOf(LAYOUT, "text_len");
    /** The fixed part's size; the text follows it. */
    public static final int FIXED_LENGTH = (int) LAYOUT.byteSize();
    public static final int TEXT_OFFSET = FIXED_LENGTH;

    @Override public int size() { return FIXED_LENGTH; }
    @Override public StructLayout layout() { return LAYOUT; }

    public int event() { return getI32(EVENT_OFFSET); }
    public long textLength() { return getU32(TEXT_LEN_OFFSET); }
    public String text() { return new String(getTail(TEXT_OFFSET, (int) textLength()), StandardCharsets.UTF_8); }

    public static byte[] encode(int event, String text) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(t.length, FrameHeader.MAX_PAYLOAD - FIXED_LENGTH);
        byte[] out = new byte[FIXED_LENGTH + n];
        DomainEvent e = new DomainEvent().wrap(out);
        e.putU32(EVENT_OFFSET, event);
        e.putU32(TEXT_LEN_OFFSET, n);
        e.putTail(TEXT_OFFSET, java.util.Arrays.copyOf(t, n));
        return out;
    }
}
