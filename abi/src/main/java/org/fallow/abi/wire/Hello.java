package org.fallow.abi.wire;

import java.nio.charset.StandardCharsets;

/**
 * HELLO payload (client → hypervisor, PROTOCOL §2.1): 48 fixed bytes then {@code path_len} bytes of arena path.
 *
 * <pre>
 *  0               1               2               3
 * +---------------------------------------------------------------+
 * |                 role (1 toolstack, 2 guest)                   |  0
 * +---------------------------------------------------------------+
 * |          profile (1 = 4.12, 2 = 2009, 3 = 4.17)               |  4
 * +-------------------------------+-------------------------------+
 * |           domid               |   flags (bit 0: RSP_COMPAT)   |  8
 * +-------------------------------+-------------------------------+
 * |                       path_len (u32)                          | 12
 * +---------------------------------------------------------------+
 * |                 secret[16] (guest: domain handle)             | 16
 * |                                                               |
 * +---------------------------------------------------------------+
 * |                 arena_base (u64, toolstack)                   | 32
 * +---------------------------------------------------------------+
 * |                 arena_len (u64, toolstack)                    | 40
 * +---------------------------------------------------------------+
 * |                 arena_path[path_len] (UTF-8) ...              | 48
 * </pre>
 */
public final class Hello extends Flyweight<Hello> {
    public static final int ROLE_TOOLSTACK = 1;
    public static final int ROLE_GUEST = 2;
    public static final int SECRET_LENGTH = 16;

    public static final int ROLE_OFFSET = 0;
    public static final int PROFILE_OFFSET = 4;
    public static final int DOMID_OFFSET = 8;
    /** u16 flags (was pad; 0 = today's behaviour). */
    public static final int FLAGS_OFFSET = 10;
    /**
     * Flag bit 0: vm_event response-version compatibility for the paging rings this connection enables: a response
     * whose {@code version} is not the ring's is taken as the ring's version instead of being dropped (Debian's real
     * xenpaging never sets the field). PROTOCOL §2.1, DEVIATIONS.md.
     */
    public static final int FLAG_VM_EVENT_RESPONSE_COMPAT = 1;
    /** Every flag bit defined; others are refused with -EINVAL. */
    public static final int FLAGS_KNOWN = FLAG_VM_EVENT_RESPONSE_COMPAT;
    public static final int PATH_LEN_OFFSET = 12;
    public static final int SECRET_OFFSET = 16;
    public static final int ARENA_BASE_OFFSET = 32;
    public static final int ARENA_LEN_OFFSET = 40;
    public static final int PATH_OFFSET = 48;
    public static final int FIXED_LENGTH = 48;

    public int role() { return i32(ROLE_OFFSET); }
    public Hello role(int v) { i32(ROLE_OFFSET, v); return this; }

    public int profile() { return i32(PROFILE_OFFSET); }
    public Hello profile(int v) { i32(PROFILE_OFFSET, v); return this; }

    public int domid() { return u16(DOMID_OFFSET); }
    public Hello domid(int v) { u16(DOMID_OFFSET, v); return this; }

    public int flags() { return u16(FLAGS_OFFSET); }
    public Hello flags(int v) { u16(FLAGS_OFFSET, v); return this; }

    public long pathLength() { return u32(PATH_LEN_OFFSET); }

    public byte[] secret() { return bytes(SECRET_OFFSET, SECRET_LENGTH); }
    public Hello secret(byte[] v) {
        if (v.length != SECRET_LENGTH) throw new IllegalArgumentException("secret must be 16 bytes");
        bytes(SECRET_OFFSET, v);
        return this;
    }

    public long arenaBase() { return i64(ARENA_BASE_OFFSET); }
    public Hello arenaBase(long v) { i64(ARENA_BASE_OFFSET, v); return this; }

    public long arenaLength() { return i64(ARENA_LEN_OFFSET); }
    public Hello arenaLength(long v) { i64(ARENA_LEN_OFFSET, v); return this; }

    public String arenaPath() { return new String(bytes(PATH_OFFSET, (int) pathLength()), StandardCharsets.UTF_8); }

    /** Writes path_len and the path bytes; the segment must have room for {@link #FIXED_LENGTH} + the path. */
    public Hello arenaPath(String path) {
        byte[] b = path.getBytes(StandardCharsets.UTF_8);
        i32(PATH_LEN_OFFSET, b.length);
        bytes(PATH_OFFSET, b);
        return this;
    }

    /** A complete HELLO payload. */
    public static byte[] encode(int role, int profile, int domid, byte[] secret, long arenaBase, long arenaLen, String arenaPath) {
        byte[] path = arenaPath == null ? new byte[0] : arenaPath.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[FIXED_LENGTH + path.length];
        Hello h = new Hello().wrap(out).role(role).profile(profile).domid(domid)
                .secret(secret == null ? new byte[SECRET_LENGTH] : secret).arenaBase(arenaBase).arenaLength(arenaLen);
        h.i32(PATH_LEN_OFFSET, path.length);
        h.bytes(PATH_OFFSET, path);
        return out;
    }
}
