package org.fallow.abi.wire;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.Flyweight;

/**
 * The 24-byte header in front of every frame (docs/PROTOCOL.md §1; {@code struct fallow_frame_header} of
 * {@code abi/src/main/c/fallow_wire.h}): magic 0x574C4146 ("FALW"), version 1, type, flags (0), request_id, length
 * (payload bytes), reserved (0).
 * <pre>
 * fallow_frame_header (24 bytes)
 * offset size  member      type
 *      0    4  magic       le32
 *      4    1  version     byte
 *      5    1  type        byte
 *      6    2  flags       le16
 *      8    8  request_id  le64
 *     16    4  length      le32
 *     20    4  reserved    le32
 * </pre>
 */
public final class FrameHeader extends Flyweight<FrameHeader> {
    public static final int MAGIC = 0x574C4146;
    public static final int VERSION = 1;
    public static final int MAX_PAYLOAD = 8192;

    public static final StructLayout LAYOUT = struct("fallow_frame_header",
            u32("magic"),
            u8("version"),
            u8("type"),
            u16("flags"),
            u64("request_id"),
            u32("length"),
            u32("reserved"));
    public static final int MAGIC_OFFSET = offsetOf(LAYOUT, "magic");
    public static final int VERSION_OFFSET = offsetOf(LAYOUT, "version");
    public static final int TYPE_OFFSET = offsetOf(LAYOUT, "type");
    public static final int FLAGS_OFFSET = offsetOf(LAYOUT, "flags");
    public static final int REQUEST_ID_OFFSET = offsetOf(LAYOUT, "request_id");
    public static final int LENGTH_OFFSET = offsetOf(LAYOUT, "length");
    public static final int RESERVED_OFFSET = offsetOf(LAYOUT, "reserved");
    /** The header's size in bytes. */
    public static final int LENGTH = (int) LAYOUT.byteSize();

    @Override public int size() { return LENGTH; }
    @Override public StructLayout layout() { return LAYOUT; }

    public int magic() { return getI32(MAGIC_OFFSET); }
    public FrameHeader magic(int v) { putU32(MAGIC_OFFSET, v); return this; }

    public int version() { return getU8(VERSION_OFFSET); }
    public FrameHeader version(int v) { putU8(VERSION_OFFSET, v); return this; }

    public int type() { return getU8(TYPE_OFFSET); }
    public FrameHeader type(int v) { putU8(TYPE_OFFSET, v); return this; }

    public int flags() { return getU16(FLAGS_OFFSET); }
    public FrameHeader flags(int v) { putU16(FLAGS_OFFSET, v); return this; }

    public long requestId() { return getU64(REQUEST_ID_OFFSET); }
    public FrameHeader requestId(long v) { putU64(REQUEST_ID_OFFSET, v); return this; }

    /** Payload length, unsigned. */
    public long length() { return getU32(LENGTH_OFFSET); }
    public FrameHeader length(long v) { putU32(LENGTH_OFFSET, v); return this; }

    public long reserved() { return getU32(RESERVED_OFFSET); }
    public FrameHeader reserved(long v) { putU32(RESERVED_OFFSET, v); return this; }

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
}
