package org.fallow.abi.wire;

import org.fallow.abi.XenErrno;

/**
 * The 24-byte header in front of every frame (docs/PROTOCOL.md §1). Little-endian.
 *
 * <pre>
 *  0               1               2               3
 *  0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 * +---------------------------------------------------------------+
 * |                      magic = 0x574C4146 ("FALW")              |  0
 * +---------------+---------------+-------------------------------+
 * |  version = 1  |     type      |        flags (must be 0)      |  4
 * +---------------+---------------+-------------------------------+
 * |                         request_id (u64)                      |  8
 * |                                                               |
 * +---------------------------------------------------------------+
 * |                   length (u32, payload bytes)                 | 16
 * +---------------------------------------------------------------+
 * |                      reserved (u32, must be 0)                | 20
 * +---------------------------------------------------------------+
 * |                 payload (length bytes) ...                    | 24
 * </pre>
 */
public final class FrameHeader extends Flyweight<FrameHeader> {
    public static final int MAGIC = 0x574C4146;
    public static final int VERSION = 1;
    public static final int MAX_PAYLOAD = 8192;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int TYPE_OFFSET = 5;
    public static final int FLAGS_OFFSET = 6;
    public static final int REQUEST_ID_OFFSET = 8;
    public static final int LENGTH_OFFSET = 16;
    public static final int RESERVED_OFFSET = 20;
    public static final int LENGTH = 24;

    public int magic() { return i32(MAGIC_OFFSET); }
    public FrameHeader magic(int v) { i32(MAGIC_OFFSET, v); return this; }

    public int version() { return u8(VERSION_OFFSET); }
    public FrameHeader version(int v) { u8(VERSION_OFFSET, v); return this; }

    public int type() { return u8(TYPE_OFFSET); }
    public FrameHeader type(int v) { u8(TYPE_OFFSET, v); return this; }

    public int flags() { return u16(FLAGS_OFFSET); }
    public FrameHeader flags(int v) { u16(FLAGS_OFFSET, v); return this; }

    public long requestId() { return i64(REQUEST_ID_OFFSET); }
    public FrameHeader requestId(long v) { i64(REQUEST_ID_OFFSET, v); return this; }

    /** Payload length, unsigned. */
    public long length() { return u32(LENGTH_OFFSET); }
    public FrameHeader length(long v) { i32(LENGTH_OFFSET, (int) v); return this; }

    public long reserved() { return u32(RESERVED_OFFSET); }
    public FrameHeader reserved(long v) { i32(RESERVED_OFFSET, (int) v); return this; }

    /** Writes a complete valid header (magic, version 1, flags 0, reserved 0). */
    public FrameHeader set(int type, long requestId, int payloadLength) {
        return magic(MAGIC).version(VERSION).type(type).flags(0).requestId(requestId).length(payloadLength).reserved(0);
    }

    /** Why a header is rejected: the ERROR errno (negative), whether framing is lost (close), and a reason for logs. */
    public record Rejection(int errno, boolean fatal, String reason) {}

    /**
     * Checks the first {@code available} bytes of a header (0 < available, only the fields present are checked) in
     * the order of PROTOCOL §1.2: magic, version, length, then flags/reserved and type. Returns null when nothing
     * present is wrong. A fatal rejection means the stream cannot be re-synchronised and must be closed.
     */
    public Rejection check(int available) {
        if (available >= VERSION_OFFSET && magic() != MAGIC)
            return new Rejection(-XenErrno.EBADMSG, true, String.format("bad magic 0x%08x", magic()));
        if (available > VERSION_OFFSET && version() != VERSION)
            return new Rejection(-XenErrno.EOPNOTSUPP, true, "unsupported protocol version " + version());
        if (available >= RESERVED_OFFSET && length() > MAX_PAYLOAD)
            return new Rejection(-XenErrno.EMSGSIZE, true, "payload length " + length() + " > " + MAX_PAYLOAD);
        if (available >= LENGTH) {
            if (flags() != 0 || reserved() != 0)
                return new Rejection(-XenErrno.EINVAL, false,
                        String.format("non-zero flags 0x%x / reserved 0x%x", flags(), reserved()));
            if (!FrameType.known(type()))
                return new Rejection(-XenErrno.ENOSYS, false, "unknown frame type " + type());
        }
        return null;
    }

    @Override public String toString() {
        return FrameType.name(type()) + "[id " + requestId() + ", " + length() + " B]";
    }
}
