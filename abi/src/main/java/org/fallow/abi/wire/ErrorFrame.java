package org.fallow.abi.wire;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;
import org.fallow.abi.xen.Flyweight;

/**
 * ERROR payload (hypervisor → client, PROTOCOL §1.2; {@code struct fallow_error}): 8 fixed bytes (xen_errno, negative;
 * text_len) then {@code text_len} bytes of UTF-8 reason.
 * <pre>
 * fallow_error (8 bytes)
 * offset size  member     type
 *      0    4  xen_errno  le32
 *      4    4  text_len   le32
 * </pre>
 */
public final class ErrorFrame extends Flyweight<ErrorFrame> {
    public static final StructLayout LAYOUT = struct("fallow_error",
            i32("xen_errno"),
            u32("text_len"));
    public static final int ERRNO_OFFSET = offsetOf(LAYOUT, "xen_errno");
    public static final int TEXT_LEN_OFFSET = offsetOf(LAYOUT, "text_len");
    /** The fixed part's size; the text follows it. */
    public static final int FIXED_LENGTH = (int) LAYOUT.byteSize();
    public static final int TEXT_OFFSET = FIXED_LENGTH;

    @Override public int size() { return FIXED_LENGTH; }
    @Override public StructLayout layout() { return LAYOUT; }

    public int errno() { return getI32(ERRNO_OFFSET); }
    public long textLength() { return getU32(TEXT_LEN_OFFSET); }
    public String text() { return new String(getTail(TEXT_OFFSET, (int) textLength()), StandardCharsets.UTF_8); }

    /** A complete ERROR payload; the text is cut so that the frame fits MAX_PAYLOAD. */
    public static byte[] encode(int negErrno, String text) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(t.length, FrameHeader.MAX_PAYLOAD - FIXED_LENGTH);
        byte[] out = new byte[FIXED_LENGTH + n];
        ErrorFrame e = new ErrorFrame().wrap(out);
        e.putU32(ERRNO_OFFSET, negErrno);
        e.putU32(TEXT_LEN_OFFSET, n);
        e.putTail(TEXT_OFFSET, java.util.Arrays.copyOf(t, n));
        return out;
    }
}
