package org.fallow.conformance;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Payload encoders written from docs/PROTOCOL.md (frame types §1.1, HELLO §2.1, HYPERCALL §4), little-endian. */
public final class Wire {
    private Wire() {}

    public static final int HELLO = 1, HELLO_ACK = 2, HYPERCALL = 3, HYPERCALL_RET = 4, EVTCHN_SEND = 5, MEM_FAULT = 6,
            FAULT_DONE = 7, ERROR = 8, XENSTORE = 9, DOMAIN_EVENT = 10, BYE = 11;
    public static final int ROLE_TOOLSTACK = 1, ROLE_GUEST = 2;
    public static final int PROFILE_412 = 1, PROFILE_2009 = 2, PROFILE_417 = 3;
    /** HELLO flags (u16 at 10): bit 0 = vm_event response-version compatibility for the rings this connection enables. */
    public static final int FLAG_VM_EVENT_RESPONSE_COMPAT = 1;
    public static final int MAX_PAYLOAD = 8192;

    private static ByteBuffer le(int n) { return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN); }

    public static byte[] hello(int role, int profile, int domid, byte[] secret, long arenaBase, long arenaLen, String path) {
        return hello(role, profile, 0, domid, secret, arenaBase, arenaLen, path);
    }

    /** A HELLO with {@code flags} (PROTOCOL §2.1). */
    public static byte[] hello(int role, int profile, int flags, int domid, byte[] secret, long arenaBase, long arenaLen, String path) {
        byte[] p = path == null ? new byte[0] : path.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = le(48 + p.length);
        b.putInt(role).putInt(profile).putShort((short) domid).putShort((short) flags).putInt(p.length)
                .put(secret == null ? new byte[16] : secret).putLong(arenaBase).putLong(arenaLen).put(p);
        return b.array();
    }

    public static byte[] hypercall(long op, long... args) {
        ByteBuffer b = le(48);
        b.putLong(op);
        for (int i = 0; i < 5; i++) b.putLong(i < args.length ? args[i] : 0);
        return b.array();
    }

    public static byte[] memFault(long gfn, int access, int vcpu) {
        return le(16).putLong(gfn).putInt(access).putInt(vcpu).array();
    }
}
