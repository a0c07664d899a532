package org.fallow.abi.wire;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;
import org.fallow.abi.xen.Flyweight;

/**
 * HELLO payload (client → hypervisor, PROTOCOL §2.1; {@code struct fallow_hello}): 48 fixed bytes then
 * {@code path_len} bytes of arena path (UTF-8). role: 1 toolstack, 2 guest; profile: 1 = 4.12, 2 = 2009, 3 = 4.17;
 * flags bit 0: RSP_COMPAT; secret: the guest's domain handle; arena_base/arena_len: the toolstack's arena.
 * <pre>
 * fallow_hello (48 bytes)
 * offset size  member      type
 *      0    4  role        le32
 *      4    4  profile     le32
 *      8    2  domid       le16
 *     10    2  flags       le16
 *     12    4  path_len    le32
 *     16   16  secret      byte[16]
 *     32    8  arena_base  le64
 *     40    8  arena_len   le64
 * </pre>
 */
public final class Hello extends Flyweight<Hello> {
    public static final int ROLE_TOOLSTACK = 1;
    public static final int ROLE_GUEST = 2;
    public static final int SECRET_LENGTH = 16;

    public static final StructLayout LAYOUT = struct("fallow_hello",
            u32("role"),
            u32("profile"),
            u16("domid"),
            u16("flags"),
            u32("path_len"),
            array("secret", SECRET_LENGTH, U8),
            u64("arena_base"),
            u64("arena_len"));
    public static final int ROLE_OFFSET = offsetOf(LAYOUT, "role");
    public static final int PROFILE_OFFSET = offsetOf(LAYOUT, "profile");
    public static final int DOMID_OFFSET = offsetOf(LAYOUT, "domid");
    /** u16 flags (was pad; 0 = today's behaviour). */
    public static final int FLAGS_OFFSET = offsetOf(LAYOUT, "flags");
    /**
     * Flag bit 0: vm_event response-version compatibility for the paging rings this connection enables: a response
     * whose {@code version} is not the ring's is taken as the ring's version instead of being dropped (Debian's real
     * xenpaging never sets the field). PROTOCOL §2.1, DEVIATIONS.md.
     */
    public static final int FLAG_VM_EVENT_RESPONSE_COMPAT = 1;
    /** Every flag bit defined; others are refused with -EINVAL. */
    public static final int FLAGS_KNOWN = FLAG_VM_EVENT_RESPONSE_COMPAT;
    public static final int PATH_LEN_OFFSET = offsetOf(LAYOUT, "path_len");
    public static final int SECRET_OFFSET = offsetOf(LAYOUT, "secret");
    public static final int ARENA_BASE_OFFSET = offsetOf(LAYOUT, "arena_base");
    public static final int ARENA_LEN_OFFSET = offsetOf(LAYOUT, "arena_len");
    /** The fixed part's size; the arena path follows it. */
    public static final int FIXED_LENGTH = (int) LAYOUT.byteSize();
    public static final int PATH_OFFSET = FIXED_LENGTH;

    @Override public int size() { return FIXED_LENGTH; }
    @Override public StructLayout layout() { return LAYOUT; }

    public int role() { return getI32(ROLE_OFFSET); }
    public Hello role(int v) { putU32(ROLE_OFFSET, v); return this; }

    public int profile() { return getI32(PROFILE_OFFSET); }
    public Hello profile(int v) { putU32(PROFILE_OFFSET, v); return this; }

    public int domid() { return getU16(DOMID_OFFSET); }
    public Hello domid(int v) { putU16(DOMID_OFFSET, v); return this; }

    public int flags() { return getU16(FLAGS_OFFSET); }
    public Hello flags(int v) { putU16(FLAGS_OFFSET, v); return this; }

    public long pathLength() { return getU32(PATH_LEN_OFFSET); }

    public byte[] secret() { return getBytes(SECRET_OFFSET, SECRET_LENGTH); }
    public Hello secret(byte[] v) {
        if (v.length != SECRET_LENGTH) throw new IllegalArgumentException("secret must be 16 bytes");
        putBytes(SECRET_OFFSET, v);
        return this;
    }

    public long arenaBase() { return getU64(ARENA_BASE_OFFSET); }
    public Hello arenaBase(long v) { putU64(ARENA_BASE_OFFSET, v); return this; }

    public long arenaLength() { return getU64(ARENA_LEN_OFFSET); }
    public Hello arenaLength(long v) { putU64(ARENA_LEN_OFFSET, v); return this; }

    public String arenaPath() { return new String(getTail(PATH_OFFSET, (int) pathLength()), StandardCharsets.UTF_8); }

    /** Writes path_len and the path bytes; the segment must have room for {@link #FIXED_LENGTH} + the path. */
    public Hello arenaPath(String path) {
        byte[] b = path.getBytes(StandardCharsets.UTF_8);
        putU32(PATH_LEN_OFFSET, b.length);
        putTail(PATH_OFFSET, b);
        return this;
    }

    /** A complete HELLO payload. */
    public static byte[] encode(int role, int profile, int domid, byte[] secret, long arenaBase, long arenaLen, String arenaPath) {
        String path = arenaPath == null ? "" : arenaPath;
        byte[] out = new byte[FIXED_LENGTH + path.getBytes(StandardCharsets.UTF_8).length];
        new Hello().wrap(out).role(role).profile(profile).domid(domid)
                .secret(secret == null ? new byte[SECRET_LENGTH] : secret).arenaBase(arenaBase).arenaLength(arenaLen)
                .arenaPath(path);
        return out;
    }
}
