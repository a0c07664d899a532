package org.fallow.abi.wire;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.fallow.abi.xen.Flyweight;

/**
 * XENSTORE payload: one xenstored wire message, {@code struct xsd_sockmsg} of io/xs_wire.h (type: enum
 * xsd_sockmsg_type; req_id: echoed in the reply; tx_id: 0 = no transaction; len: body bytes) followed by its body.
 * <pre>
 * xsd_sockmsg (16 bytes)
 * offset size  member  type
 *      0    4  type    le32
 *      4    4  req_id  le32
 *      8    4  tx_id   le32
 *     12    4  len     le32
 * </pre>
 *
 * Bodies are NUL-separated strings: XS_READ "path\0" → value (no NUL); XS_WRITE "path\0value";
 * XS_DIRECTORY "path\0" → "child\0child\0"; XS_WATCH/XS_UNWATCH "path\0token\0" → "OK\0";
 * XS_WATCH_EVENT "path\0token\0"; XS_ERROR "ENOENT\0".
 */
public final class XsSockMsg extends Flyweight<XsSockMsg> {
    // enum xsd_sockmsg_type of io/xs_wire.h (checked against the installed header by XsWireProbeTest)
    public static final int XS_CONTROL = 0;
    public static final int XS_DIRECTORY = 1;
    public static final int XS_READ = 2;
    public static final int XS_GET_PERMS = 3;
    public static final int XS_WATCH = 4;
    public static final int XS_UNWATCH = 5;
    public static final int XS_TRANSACTION_START = 6;
    public static final int XS_TRANSACTION_END = 7;
    public static final int XS_INTRODUCE = 8;
    public static final int XS_RELEASE = 9;
    public static final int XS_GET_DOMAIN_PATH = 10;
    public static final int XS_WRITE = 11;
    public static final int XS_MKDIR = 12;
    public static final int XS_RM = 13;
    public static final int XS_SET_PERMS = 14;
    public static final int XS_WATCH_EVENT = 15;
    public static final int XS_ERROR = 16;
    public static final int XS_IS_DOMAIN_INTRODUCED = 17;
    public static final int XS_RESUME = 18;
    public static final int XS_SET_TARGET = 19;
    /** 20 was XS_RESTRICT (removed). */
    public static final int XS_RESET_WATCHES = 21;
    public static final int XS_DIRECTORY_PART = 22;
    public static final int XS_TYPE_COUNT = 23;
    public static final int XS_INVALID = 0xffff;

    private static final String[] NAMES = {"XS_CONTROL", "XS_DIRECTORY", "XS_READ", "XS_GET_PERMS", "XS_WATCH",
            "XS_UNWATCH", "XS_TRANSACTION_START", "XS_TRANSACTION_END", "XS_INTRODUCE", "XS_RELEASE",
            "XS_GET_DOMAIN_PATH", "XS_WRITE", "XS_MKDIR", "XS_RM", "XS_SET_PERMS", "XS_WATCH_EVENT", "XS_ERROR",
            "XS_IS_DOMAIN_INTRODUCED", "XS_RESUME", "XS_SET_TARGET", null, "XS_RESET_WATCHES", "XS_DIRECTORY_PART"};

    public static final StructLayout LAYOUT = struct("xsd_sockmsg",
            u32("type"),
            u32("req_id"),
            u32("tx_id"),
            u32("len"));
    public static final int TYPE_OFFSET = offsetOf(LAYOUT, "type");
    public static final int REQ_ID_OFFSET = offsetOf(LAYOUT, "req_id");
    public static final int TX_ID_OFFSET = offsetOf(LAYOUT, "tx_id");
    public static final int LEN_OFFSET = offsetOf(LAYOUT, "len");
    /** The header's size; the body follows it. */
    public static final int HEADER_LENGTH = (int) LAYOUT.byteSize();
    public static final int BODY_OFFSET = HEADER_LENGTH;
    /** XENSTORE_PAYLOAD_MAX of io/xs_wire.h. */
    public static final int PAYLOAD_MAX = 4096;
    /** XENSTORE_ABS_PATH_MAX and XENSTORE_REL_PATH_MAX of io/xs_wire.h. */
    public static final int ABS_PATH_MAX = 3072;
    public static final int REL_PATH_MAX = 2048;

    @Override public int size() { return HEADER_LENGTH; }
    @Override public StructLayout layout() { return LAYOUT; }

    public int type() { return getI32(TYPE_OFFSET); }
    public int reqId() { return getI32(REQ_ID_OFFSET); }
    public int txId() { return getI32(TX_ID_OFFSET); }
    public long length() { return getU32(LEN_OFFSET); }
    /** Sets {@code len} alone (a test can announce a body it does not send). */
    public XsSockMsg length(long v) { putU32(LEN_OFFSET, v); return this; }
    public byte[] body() { return getTail(BODY_OFFSET, (int) length()); }

    public static String typeName(int type) {
        return type >= 0 && type < NAMES.length && NAMES[type] != null ? NAMES[type] : "XS#" + Integer.toUnsignedString(type);
    }

    /** A complete XENSTORE payload. */
    public static byte[] encode(int type, int reqId, int txId, byte[] body) {
        byte[] out = new byte[HEADER_LENGTH + body.length];
        XsSockMsg m = new XsSockMsg().wrap(out);
        m.putU32(TYPE_OFFSET, type);
        m.putU32(REQ_ID_OFFSET, reqId);
        m.putU32(TX_ID_OFFSET, txId);
        m.putU32(LEN_OFFSET, body.length);
        m.putTail(BODY_OFFSET, body);
        return out;
    }

    /** Joins strings each followed by a NUL ("a\0b\0"). */
    public static byte[] nulTerminated(String... parts) {
        StringBuilder sb = new StringBuilder();
        for (String p : parts) sb.append(p).append('\0');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Splits a body at NULs; a trailing unterminated part is kept, a final empty part after the last NUL is not. */
    public static List<String> split(byte[] body) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < body.length; i++) {
            if (body[i] == 0) {
                out.add(new String(body, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < body.length) out.add(new String(body, start, body.length - start, StandardCharsets.UTF_8));
        return out;
    }
}
