package org.fallow.abi.wire;

import java.nio.charset.StandardCharsets;

/**
 * HELLO_ACK payload (hypervisor → client, PROTOCOL §2.2): 32 fixed bytes then {@code path_len} bytes of run dir.
 *
 * <pre>
 *  0               1               2               3
 * +---------------------------------------------------------------+
 * |                 status (i64: 0 or negated Xen errno)          |  0
 * |                                                               |
 * +-------------------------------+-------------------------------+
 * |            domid              |            pad (0)            |  8
 * +-------------------------------+-------------------------------+
 * |                       path_len (u32)                          | 12
 * +---------------------------------------------------------------+
 * |             nr_frames (u64: guest gfns / host pages)          | 16
 * |                                                               |
 * +---------------------------------------------------------------+
 * |     xen_version (0x0004000C; 0x00040011 for profile 4.17)     | 24
 * +---------------------------------------------------------------+
 * |                            pad (0)                            | 28
 * +---------------------------------------------------------------+
 * |                 run_dir[path_len] (UTF-8) ...                 | 32
 * </pre>
 */
public final class HelloAck extends Flyweight<HelloAck> {
    public static final int XEN_VERSION_4_12 = 0x0004000C;

    public static final int STATUS_OFFSET = 0;
    public static final int DOMID_OFFSET = 8;
    public static final int PAD_OFFSET = 10;
    public static final int PATH_LEN_OFFSET = 12;
    public static final int NR_FRAMES_OFFSET = 16;
    public static final int XEN_VERSION_OFFSET = 24;
    public static final int PAD2_OFFSET = 28;
    public static final int PATH_OFFSET = 32;
    public static final int FIXED_LENGTH = 32;

    public long status() { return i64(STATUS_OFFSET); }
    public int domid() { return u16(DOMID_OFFSET); }
    public long pathLength() { return u32(PATH_LEN_OFFSET); }
    public long nrFrames() { return i64(NR_FRAMES_OFFSET); }
    public int xenVersion() { return i32(XEN_VERSION_OFFSET); }
    public String runDir() { return new String(bytes(PATH_OFFSET, (int) pathLength()), StandardCharsets.UTF_8); }

    /** A complete HELLO_ACK payload. */
    public static byte[] encode(long status, int domid, long nrFrames, String runDir) {
        return encode(status, domid, nrFrames, runDir, XEN_VERSION_4_12);
    }

    /** A complete HELLO_ACK payload reporting {@code xenVersion} (major << 16 | minor). */
    public static byte[] encode(long status, int domid, long nrFrames, String runDir, int xenVersion) {
        byte[] path = runDir == null ? new byte[0] : runDir.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[FIXED_LENGTH + path.length];
        HelloAck a = new HelloAck().wrap(out);
        a.i64(STATUS_OFFSET, status);
        a.u16(DOMID_OFFSET, domid);
        a.i32(PATH_LEN_OFFSET, path.length);
        a.i64(NR_FRAMES_OFFSET, nrFrames);
        a.i32(XEN_VERSION_OFFSET, xenVersion);
        a.bytes(PATH_OFFSET, path);
        return out;
    }
}
