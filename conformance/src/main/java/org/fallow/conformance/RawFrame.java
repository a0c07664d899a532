package org.fallow.conformance;

import java.util.HexFormat;
import org.fallow.abi.wire.DomainEvent;
import org.fallow.abi.wire.ErrorFrame;
import org.fallow.abi.wire.EvtchnSend;
import org.fallow.abi.wire.FrameHeader;
import org.fallow.abi.wire.HelloAck;
import org.fallow.abi.wire.StatusFrame;
import org.fallow.abi.wire.XsSockMsg;

/**
 * One frame as read off the wire by {@link RawConnection}: the 24 header bytes exactly as received and the payload,
 * read through abi's wire flyweights (PROTOCOL §1); the payload views do not check the payload's length (the cases
 * do, so that a short payload is a reported failure, not an exception in a view).
 */
public record RawFrame(byte[] header, byte[] payload) {
    public static final int HEADER_LENGTH = FrameHeader.LENGTH;

    private FrameHeader h() { return new FrameHeader().wrap(header); }

    public int magic() { return h().magic(); }
    public int version() { return h().version(); }
    public int type() { return h().type(); }
    public int flags() { return h().flags(); }
    public long requestId() { return h().requestId(); }
    public long length() { return h().length(); }
    public long reserved() { return h().reserved(); }

    /** HYPERCALL_RET / FAULT_DONE / HELLO_ACK status: the i64 at payload offset 0. */
    public long status() { return new StatusFrame().wrap(payload).value(); }

    /** ERROR: its xen_errno. */
    public int errno() { return error().errno(); }

    /** The payload as an ERROR. */
    public ErrorFrame error() { return new ErrorFrame().wrap(payload); }

    /** The payload as a HELLO_ACK. */
    public HelloAck helloAck() { return new HelloAck().wrap(payload); }

    /** The payload as a DOMAIN_EVENT. */
    public DomainEvent domainEvent() { return new DomainEvent().wrap(payload); }

    /** The payload as an EVTCHN_SEND. */
    public EvtchnSend evtchn() { return new EvtchnSend().wrap(payload); }

    /** The payload as a XENSTORE message. */
    public XsSockMsg xs() { return new XsSockMsg().wrap(payload); }

    @Override public String toString() {
        return "frame{type " + type() + ", id " + requestId() + ", header " + HexFormat.of().formatHex(header)
                + ", payload " + HexFormat.of().formatHex(payload, 0, Math.min(payload.length, 64))
                + (payload.length > 64 ? "…" : "") + "}";
    }
}
