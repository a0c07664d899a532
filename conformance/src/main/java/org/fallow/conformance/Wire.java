package org.fallow.conformance;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import org.fallow.abi.AbiProfile;
import org.fallow.abi.wire.EvtchnSend;
import org.fallow.abi.wire.FrameHeader;
import org.fallow.abi.wire.FrameType;
import org.fallow.abi.wire.Hello;
import org.fallow.abi.wire.HypercallFrame;
import org.fallow.abi.wire.MemFault;

/**
 * The payloads the suite sends (frame types §1.1, HELLO §2.1, HYPERCALL §4, MEM_FAULT §3.3), written through abi's
 * wire flyweights, and short names for abi's frame-type, role and profile numbers (read from abi, never typed again).
 */
public final class Wire {
    private Wire() {}

    public static final int HELLO = FrameType.HELLO, HELLO_ACK = FrameType.HELLO_ACK, HYPERCALL = FrameType.HYPERCALL,
            HYPERCALL_RET = FrameType.HYPERCALL_RET, EVTCHN_SEND = FrameType.EVTCHN_SEND, MEM_FAULT = FrameType.MEM_FAULT,
            FAULT_DONE = FrameType.FAULT_DONE, ERROR = FrameType.ERROR, XENSTORE = FrameType.XENSTORE,
            DOMAIN_EVENT = FrameType.DOMAIN_EVENT, BYE = FrameType.BYE;
    public static final int ROLE_TOOLSTACK = Hello.ROLE_TOOLSTACK, ROLE_GUEST = Hello.ROLE_GUEST;
    public static final int PROFILE_412 = AbiProfile.XEN_4_12.wireCode(), PROFILE_2009 = AbiProfile.TMEM_2009.wireCode(),
            PROFILE_417 = AbiProfile.XEN_4_17.wireCode();
    /** HELLO flags bit 0: vm_event response-version compatibility for the rings this connection enables. */
    public static final int FLAG_VM_EVENT_RESPONSE_COMPAT = Hello.FLAG_VM_EVENT_RESPONSE_COMPAT;
    public static final int MAX_PAYLOAD = FrameHeader.MAX_PAYLOAD;

    public static byte[] hello(int role, int profile, int domid, byte[] secret, long arenaBase, long arenaLen, String path) {
        return hello(role, profile, 0, domid, secret, arenaBase, arenaLen, path);
    }

    /** A HELLO with {@code flags} (PROTOCOL §2.1). */
    public static byte[] hello(int role, int profile, int flags, int domid, byte[] secret, long arenaBase, long arenaLen, String path) {
        String p = path == null ? "" : path;
        byte[] out = new byte[Hello.FIXED_LENGTH + p.getBytes(StandardCharsets.UTF_8).length];
        new Hello().wrap(out).role(role).profile(profile).flags(flags).domid(domid)
                .secret(secret == null ? new byte[Hello.SECRET_LENGTH] : secret).arenaBase(arenaBase).arenaLength(arenaLen)
                .arenaPath(p);
        return out;
    }

    public static byte[] hypercall(long op, long... args) { return HypercallFrame.encode(op, args); }

    public static byte[] evtchnSend(int port) { return EvtchnSend.encode(port); }

    /** A MEM_FAULT with any {@code access} value (the suite also sends invalid ones). */
    public static byte[] memFault(long gfn, int access, int vcpu) {
        byte[] out = new byte[MemFault.LENGTH];
        new MemFault().wrap(MemorySegment.ofArray(out), 0).gfn(gfn).access(access).vcpu(vcpu);
        return out;
    }
}
