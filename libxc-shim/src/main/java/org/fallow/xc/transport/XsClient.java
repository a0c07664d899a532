package org.fallow.xc.transport;

import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.XsSockMsg;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Xenstore over a {@link HypervisorConnection} (PROTOCOL §6, xs_wire.h messages): read, write, directory, rm and
 * watches. Watch callbacks run on the connection's events thread with the path that changed; every watch fires once
 * when registered, as xenstored does. Failures come back as {@link XsException} with xenstored's errno name.
 */
public final class XsClient {
    private static final Logger log = LoggerFactory.getLogger(XsClient.class);

    /** A xenstore request failed (XS_ERROR); {@link #errnoName()} is e.g. "ENOENT" or "EACCES". */
    public static final class XsException extends IOException {
        private final String errnoName;

        XsException(String errnoName, String what) {
            super(what + ": " + errnoName);
            this.errnoName = errnoName;
        }

        public String errnoName() { return errnoName; }
    }

    private final HypervisorConnection conn;
    private final Map<String, Consumer<String>> watches = new ConcurrentHashMap<>();

    XsClient(HypervisorConnection conn) { this.conn = conn; }

    public String read(String path) throws IOException {
        return new String(request(XsSockMsg.XS_READ, XsSockMsg.nulTerminated(path), "read " + path), StandardCharsets.UTF_8);
    }

    /** Reads {@code path}, or returns null if it does not exist. */
    public String readOrNull(String path) throws IOException {
        try {
            return read(path);
        } catch (XsException e) {
            if (e.errnoName().equals("ENOENT")) return null;
            throw e;
        }
    }

    public void write(String path, String value) throws IOException {
        byte[] p = (path + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[p.length + v.length];
        System.arraycopy(p, 0, body, 0, p.length);
        System.arraycopy(v, 0, body, p.length, v.length);
        request(XsSockMsg.XS_WRITE, body, "write " + path);
    }

    /** Bound on restarts of a DIRECTORY_PART listing whose directory keeps changing underneath it. */
    static final int MAX_DIRECTORY_RESTARTS = 16;
    static final int MAX_LISTING_BYTES = 64 << 20;

    /**
     * The children of {@code path}. A listing too big for one reply (XS_DIRECTORY answers E2BIG) is fetched with
     * XS_DIRECTORY_PART, as libxenstore does: offset by offset, restarting if the directory's generation changes.
     */
    public List<String> directory(String path) throws IOException {
        try {
            return XsSockMsg.split(request(XsSockMsg.XS_DIRECTORY, XsSockMsg.nulTerminated(path), "directory " + path));
        } catch (XsException e) {
            if (!e.errnoName().equals("E2BIG")) throw e;
        }
        for (int restart = 0; restart < MAX_DIRECTORY_RESTARTS; restart++) {
            List<String> parts = directoryParts(path);
            if (parts != null) return parts;
        }
        throw new IOException("directory " + path + " kept changing while it was listed (" + MAX_DIRECTORY_RESTARTS + " tries)");
    }

    /** One DIRECTORY_PART pass; null if the generation changed in between. */
    private List<String> directoryParts(String path) throws IOException {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        String gen = null;
        // every part must carry bytes (checked below), and a listing is bounded in size
        while (all.size() <= MAX_LISTING_BYTES) {
            byte[] r = request(XsSockMsg.XS_DIRECTORY_PART, XsSockMsg.nulTerminated(path, Integer.toString(all.size())),
                    "directory part " + path);
            int nul = 0;
            while (nul < r.length && r[nul] != 0) nul++;
            if (nul >= r.length) throw new IOException("malformed XS_DIRECTORY_PART reply for " + path);
            String g = new String(r, 0, nul, StandardCharsets.US_ASCII);
            if (gen == null) gen = g;
            else if (!gen.equals(g)) return null;
            if (r.length - nul - 1 == 0) throw new IOException("empty XS_DIRECTORY_PART reply for " + path);
            all.write(r, nul + 1, r.length - nul - 1);
            byte[] sofar = all.toByteArray();
            int n = sofar.length;
            if (n <= 1 || sofar[n - 2] == 0) {
                return n <= 1 ? List.of() : XsSockMsg.split(java.util.Arrays.copyOf(sofar, n - 1));
            }
        }
        throw new IOException("directory " + path + ": listing larger than " + MAX_LISTING_BYTES + " bytes");
    }

    public void rm(String path) throws IOException {
        request(XsSockMsg.XS_RM, XsSockMsg.nulTerminated(path), "rm " + path);
    }

    /** Watches {@code path} (and everything below it); {@code onChange} gets the changed path. Tokens must be unique per client. */
    public void watch(String path, String token, Consumer<String> onChange) throws IOException {
        watches.put(token, onChange);
        conn.listen();
        try {
            request(XsSockMsg.XS_WATCH, XsSockMsg.nulTerminated(path, token), "watch " + path);
        } catch (IOException e) {
            watches.remove(token);
            throw e;
        }
    }

    public void unwatch(String path, String token) throws IOException {
        request(XsSockMsg.XS_UNWATCH, XsSockMsg.nulTerminated(path, token), "unwatch " + path);
        watches.remove(token);
    }

    private byte[] request(int type, byte[] body, String what) throws IOException {
        Frame f = conn.xenstore(type, body);
        XsSockMsg m = new XsSockMsg().wrap(f.payload());
        if (m.type() == XsSockMsg.XS_ERROR) {
            List<String> parts = XsSockMsg.split(m.body());
            throw new XsException(parts.isEmpty() ? "EIO" : parts.get(0), what);
        }
        return m.body();
    }

    /** A XENSTORE frame with request_id 0: a watch event. */
    void unsolicited(Frame f) {
        XsSockMsg m = new XsSockMsg().wrap(f.payload());
        if (m.type() != XsSockMsg.XS_WATCH_EVENT) {
            log.warn("unsolicited xenstore {} ignored", XsSockMsg.typeName(m.type()));
            return;
        }
        List<String> parts = XsSockMsg.split(m.body());
        if (parts.size() < 2) {
            log.warn("malformed watch event ignored");
            return;
        }
        Consumer<String> cb = watches.get(parts.get(1));
        if (cb != null) conn.deliver(() -> cb.accept(parts.get(0)), "xenstore watch event " + parts.get(1));
    }
}
