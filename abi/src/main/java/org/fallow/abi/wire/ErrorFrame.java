package org.fallow.abi.wire;

import java.nio.charset.StandardCharsets;

/**
 * ERROR payload (hypervisor → client, PROTOCOL §1.2): 8 fixed bytes then {@code text_len} bytes of UTF-8 reason.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                  xen_errno (i32, negative)                    |  0
 * +---------------------------------------------------------------+
 * |                        text_len (u32)                         |  4
 * +---------------------------------------------------------------+
 * |                     text[text_len] (UTF-8) ...                |  8
 * </pre>
 */
public final class ErrorFrame extends Flyweight<ErrorFrame> {
    public static final int ERRNO_OFFSET = 0;
    public static final int TEXT_LEN_OFFSET = 4;
    public static final int TEXT_OFFSET = 8;
    public static final int FIXED_LENGTH = 8;

    public int errno() { return i32(ERRNO_OFFSET); }
    public long textLength() { return u32(TEXT_LEN_OFFSET); }
    public String text() { return new String(bytes(TEXT_OFFSET, (int) textLength()), StandardCharsets.UTF_8); }

    /** A complete ERROR payload; the text is cut so that the frame fits MAX_PAYLOAD. */
    public static byte[] encode(int negErrno, String text) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(t.length, FrameHeader.MAX_PAYLOAD - FIXED_LENGTH);
        byte[] out = new byte[FIXED_LENGTH + n];
        ErrorFrame e = new ErrorFrame().wrap(out);
        e.i32(ERRNO_OFFSET, negErrno);
        e.i32(TEXT_LEN_OFFSET, n);
        System.arraycopy(t, 0, out, TEXT_OFFSET, n);
        return out;
    }
}
