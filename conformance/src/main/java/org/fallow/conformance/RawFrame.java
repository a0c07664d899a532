package org.fallow.conformance;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;

/**
 * One frame as read off the wire by {@link RawConnection}: the 24 header bytes exactly as received and the payload.
 * Accessors decode the header fields with explicit little-endian reads (PROTOCOL §1), independently of the
 * product's flyweights.
 */
public record RawFrame(byte[] header, byte[] payload) {
    public static final int HEADER_LENGTH = 24;

    private ByteBuffer h() { return ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN); }

    private ByteBuffer p() { return ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN); }

    public int magic() { return h().getInt(0); }
    public int version() { return header[4] & 0xFF; }
    public int type() { return header[5] & 0xFF; }
    public int flags() { return h().getShort(6) & 0xFFFF; }
    public long requestId() { return h().getLong(8); }
    public long length() { return h().getInt(16) & 0xFFFF_FFFFL; }
    public long reserved() { return h().getInt(20) & 0xFFFF_FFFFL; }

    /** HYPERCALL_RET / FAULT_DONE / HELLO_ACK status: the i64 at payload offset 0. */
    public long status() { return p().getLong(0); }

    /** ERROR: the i32 xen_errno at payload offset 0. */
    public int errno() { return p().getInt(0); }

    public int payloadI32(int off) { return p().getInt(off); }
    public long payloadI64(int off) { return p().getLong(off); }
    public int payloadU16(int off) { return p().getShort(off) & 0xFFFF; }

    @Override public String toString() {
        return "frame{type " + type() + ", id " + requestId() + ", header " + HexFormat.of().formatHex(header)
                + ", payload " + HexFormat.of().formatHex(payload, 0, Math.min(payload.length, 64))
                + (payload.length > 64 ? "…" : "") + "}";
    }
}
