package org.fallow.abi.wire;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;
import org.fallow.abi.xen.Flyweight;

/**
 * HELLO_ACK payload (hypervisor → client, PROTOCOL §2.2; {@code struct fallow_hello_ack}): 32 fixed bytes then
 * {@code path_len} bytes of run directory (UTF-8). status: 0 or a negated Xen errno; nr_frames: the guest's gfns or
 * the host's pages; xen_version: 0x0004000C, 0x00040011 for profile 4.17.
 * <pre>
 * fallow_hello_ack (32 bytes)
 * offset size  member       type
 *      0    8  status       le64
 *      8    2  domid        le16
 *     10    2  pad          le16
 *     12    4  path_len     le32
 *     16    8  nr_frames    le64
 *     24    4  xen_version  le32
 *     28    4  pad2         le32
 * </pre>
 */
public final class HelloAck extends Flyweight<HelloAck> {
    public static final int XEN_VERSION_4_12 = 0x0004000C;

    public static final StructLayout LAYOUT = struct("fallow_hello_ack",
            u64("status"),
            u16("domid"),
            u16("pad"),
            u32("path_len"),
            u64("nr_frames"),
            u32("xen_version"),
            u32("pad2"));
    public static final int STATUS_OFFSET = offsetOf(LAYOUT, "status");
    public static final int DOMID_OFFSET = offsetOf(LAYOUT, "domid");
    public static final int PAD_OFFSET = offsetOf(LAYOUT, "pad");
    public static final int PATH_LEN_OFFSET = offsetOf(LAYOUT, "path_len");
    public static final int NR_FRAMES_OFFSET = offsetOf(LAYOUT, "nr_frames");
    public static final int XEN_VERSION_OFFSET = offsetOf(LAYOUT, "xen_version");
    public static final int PAD2_OFFSET = offsetOf(LAYOUT, "pad2");
    /** The fixed part's size; the run directory follows it. */
    public static final int FIXED_LENGTH = (int) LAYOUT.byteSize();
    public static final int PATH_OFFSET = FIXED_LENGTH;

    @Override public int size() { return FIXED_LENGTH; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long status() { return getU64(STATUS_OFFSET); }
    public int domid() { return getU16(DOMID_OFFSET); }
    public long pathLength() { return getU32(PATH_LEN_OFFSET); }
    public long nrFrames() { return getU64(NR_FRAMES_OFFSET); }
    public int xenVersion() { return getI32(XEN_VERSION_OFFSET); }
    public String runDir() { return new String(getTail(PATH_OFFSET, (int) pathLength()), StandardCharsets.UTF_8); }

    /** A complete HELLO_ACK payload. */
    public static byte[] encode(long status, int domid, long nrFrames, String runDir) {
        return encode(status, domid, nrFrames, runDir, XEN_VERSION_4_12);
    }

    /** A complete HELLO_ACK payload reporting {@code xenVersion} (major << 16 | minor). */
    public static byte[] encode(long status, int domid, long nrFrames, String runDir, int xenVersion) {
        byte[] path = runDir == null ? new byte[0] : runDir.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[FIXED_LENGTH + path.length];
        HelloAck a = new HelloAck().wrap(out);
        a.putU64(STATUS_OFFSET, status);
        a.putU16(DOMID_OFFSET, domid);
        a.putU32(PATH_LEN_OFFSET, path.length);
        a.putU64(NR_FRAMES_OFFSET, nrFrames);
        a.putU32(XEN_VERSION_OFFSET, xenVersion);
        a.putTail(PATH_OFFSET, path);
        return out;
    }
}
