package org.fallow.abi.wire;

/**
 * Frame types of the Fallow wire protocol (docs/PROTOCOL.md §1.1) and the payload length rule of each.
 * Fixed-size payloads must match exactly; variable ones have a fixed part whose trailing length field must
 * account for every remaining byte.
 */
public final class FrameType {
    private FrameType() {}

    public static final int HELLO = 1;
    public static final int HELLO_ACK = 2;
    public static final int HYPERCALL = 3;
    public static final int HYPERCALL_RET = 4;
    public static final int EVTCHN_SEND = 5;
    public static final int MEM_FAULT = 6;
    public static final int FAULT_DONE = 7;
    public static final int ERROR = 8;
    public static final int XENSTORE = 9;
    public static final int DOMAIN_EVENT = 10;
    public static final int BYE = 11;

    public static boolean known(int type) { return type >= HELLO && type <= BYE; }

    /** True for the types a client may send (HELLO, HYPERCALL, EVTCHN_SEND, MEM_FAULT, XENSTORE, BYE). */
    public static boolean fromClient(int type) {
        return switch (type) {
            case HELLO, HYPERCALL, EVTCHN_SEND, MEM_FAULT, XENSTORE, BYE -> true;
            default -> false;
        };
    }

    /** True for the types the hypervisor sends (HELLO_ACK, HYPERCALL_RET, EVTCHN_SEND, FAULT_DONE, ERROR, XENSTORE, DOMAIN_EVENT). */
    public static boolean fromHypervisor(int type) {
        return switch (type) {
            case HELLO_ACK, HYPERCALL_RET, EVTCHN_SEND, FAULT_DONE, ERROR, XENSTORE, DOMAIN_EVENT -> true;
            default -> false;
        };
    }

    public static String name(int type) {
        return switch (type) {
            case HELLO -> "HELLO"; case HELLO_ACK -> "HELLO_ACK"; case HYPERCALL -> "HYPERCALL";
            case HYPERCALL_RET -> "HYPERCALL_RET"; case EVTCHN_SEND -> "EVTCHN_SEND"; case MEM_FAULT -> "MEM_FAULT";
            case FAULT_DONE -> "FAULT_DONE"; case ERROR -> "ERROR"; case XENSTORE -> "XENSTORE";
            case DOMAIN_EVENT -> "DOMAIN_EVENT"; case BYE -> "BYE";
            default -> "type#" + type;
        };
    }

    /** The minimum payload length of a known type (= the exact length of fixed-size types). */
    public static int minPayload(int type) {
        return switch (type) {
            case HELLO -> Hello.FIXED_LENGTH;
            case HELLO_ACK -> HelloAck.FIXED_LENGTH;
            case HYPERCALL -> HypercallFrame.LENGTH;
            case HYPERCALL_RET, FAULT_DONE -> StatusFrame.LENGTH;
            case EVTCHN_SEND -> EvtchnSend.LENGTH;
            case MEM_FAULT -> MemFault.LENGTH;
            case ERROR -> ErrorFrame.FIXED_LENGTH;
            case XENSTORE -> XsSockMsg.HEADER_LENGTH;
            case DOMAIN_EVENT -> DomainEvent.FIXED_LENGTH;
            case BYE -> 0;
            default -> throw new IllegalArgumentException("unknown frame type " + type);
        };
    }

    /**
     * Whether {@code payload} (the whole payload of a frame of known {@code type}) has the right length for its type:
     * fixed types exactly, variable types their fixed part plus the length their own length field announces.
     */
    public static boolean payloadLengthValid(int type, java.lang.foreign.MemorySegment payload) {
        long len = payload.byteSize();
        int min = minPayload(type);
        if (len < min) return false;
        return switch (type) {
            case HELLO -> len == Hello.FIXED_LENGTH + new Hello().wrap(payload, 0).pathLength();
            case HELLO_ACK -> len == HelloAck.FIXED_LENGTH + new HelloAck().wrap(payload, 0).pathLength();
            case ERROR -> len == ErrorFrame.FIXED_LENGTH + new ErrorFrame().wrap(payload, 0).textLength();
            case XENSTORE -> len == XsSockMsg.HEADER_LENGTH + new XsSockMsg().wrap(payload, 0).length();
            case DOMAIN_EVENT -> len == DomainEvent.FIXED_LENGTH + new DomainEvent().wrap(payload, 0).textLength();
            default -> len == min;
        };
    }
}
