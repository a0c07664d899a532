package org.fallow.abi.wire;

import java.lang.foreign.MemorySegment;

/**
 * One whole frame as the transports pass it around: header fields plus the payload bytes. Encoding and decoding go
 * through {@link FrameHeader}, so server and clients share one definition of the bytes.
 */
public record Frame(int type, long requestId, byte[] payload) {
    public Frame {
        if (payload.length > FrameHeader.MAX_PAYLOAD)
            throw new IllegalArgumentException("payload " + payload.length + " > " + FrameHeader.MAX_PAYLOAD);
    }

    public static Frame of(int type, long requestId) { return new Frame(type, requestId, new byte[0]); }

    /** The payload as a segment, for the payload flyweights. */
    public MemorySegment payloadSegment() { return MemorySegment.ofArray(payload); }

    /** Header + payload, ready to write to a socket. */
    public byte[] encode() {
        byte[] out = new byte[FrameHeader.LENGTH + payload.length];
        new FrameHeader().wrap(out).set(type, requestId, payload.length);
        System.arraycopy(payload, 0, out, FrameHeader.LENGTH, payload.length);
        return out;
    }

    /** The frame's ERROR payload view (only for type ERROR). */
    public ErrorFrame error() { return new ErrorFrame().wrap(payload); }

    /** The signed value of a HYPERCALL_RET or FAULT_DONE frame. */
    public long status() { return new StatusFrame().wrap(payload).value(); }

    @Override public String toString() {
        return FrameType.name(type) + "[id " + requestId + ", " + payload.length + " B]";
    }
}
