package org.fallow.hypervisor.xenstore;

import org.fallow.abi.wire.XsSockMsg;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A small in-memory xenstore (PROTOCOL §6): a tree of nodes with byte values, XS_READ/WRITE/DIRECTORY/RM and watches.
 * Writes create missing parents (empty values), as xenstored does. A watch fires once when registered and then for
 * every change at or below its path (and, for XS_RM, when an ancestor of the watched path is removed).
 * Permissions: the toolstack may access everything; a guest only {@code /local/domain/<its domid>} and below.
 * Relative paths are resolved against {@code /local/domain/<domid>}. Transactions are not supported (tx_id must be 0).
 */
public final class XenStore {
    private static final Logger log = LoggerFactory.getLogger(XenStore.class);
    /** XENSTORE_ABS_PATH_MAX of io/xs_wire.h. */
    public static final int ABS_PATH_MAX = 3072;

    private record Watch(XsConnection conn, String path, String token) {}

    private final NavigableMap<String, byte[]> nodes = new TreeMap<>();
    private final List<Watch> watches = new CopyOnWriteArrayList<>();

    public XenStore() {
        nodes.put("/", new byte[0]);
    }

    // ---- wire entry point ----------------------------------------------------------------------------------------

    /** Handles one request message and returns the complete reply payload (an xsd_sockmsg with the same req_id). */
    public byte[] handle(XsConnection c, XsSockMsg msg) {
        int type = msg.type();
        byte[] body = msg.body();
        try {
            if (body.length > XsSockMsg.PAYLOAD_MAX) throw new XsError("E2BIG", body.length + " > XENSTORE_PAYLOAD_MAX");
            if (msg.txId() != 0) throw new XsError("ENOENT", "transactions are not supported (tx_id " + msg.txId() + ")");
            byte[] reply = switch (type) {
                case XsSockMsg.XS_READ -> read(c, arg(body, 0));
                case XsSockMsg.XS_WRITE -> { writeFromWire(c, body); yield ok(); }
                case XsSockMsg.XS_DIRECTORY -> directoryBody(directory(c, arg(body, 0)));
                case XsSockMsg.XS_RM -> { rm(c, arg(body, 0)); yield ok(); }
                case XsSockMsg.XS_WATCH -> { watch(c, arg(body, 0), arg(body, 1)); yield ok(); }
                case XsSockMsg.XS_UNWATCH -> { unwatch(c, arg(body, 0), arg(body, 1)); yield ok(); }
                default -> throw new XsError("ENOSYS", "unsupported message " + XsSockMsg.typeName(type));
            };
            return XsSockMsg.encode(type, msg.reqId(), 0, reply);
        } catch (XsError e) {
            log.info("{}: xenstore {} rejected: {}", c.describe(), XsSockMsg.typeName(type), e.getMessage());
            return XsSockMsg.encode(XsSockMsg.XS_ERROR, msg.reqId(), msg.txId(), XsSockMsg.nulTerminated(e.errnoName()));
        }
    }

    private static byte[] ok() { return XsSockMsg.nulTerminated("OK"); }

    private static String arg(byte[] body, int i) throws XsError {
        List<String> parts = XsSockMsg.split(body);
        if (parts.size() <= i) throw new XsError("EINVAL", "missing argument " + i);
        return parts.get(i);
    }

    private void writeFromWire(XsConnection c, byte[] body) throws XsError {
        int nul = -1;
        for (int i = 0; i < body.length; i++) if (body[i] == 0) { nul = i; break; }
        if (nul < 0) throw new XsError("EINVAL", "XS_WRITE body has no NUL after the path");
        String path = new String(body, 0, nul, StandardCharsets.UTF_8);
        byte[] value = java.util.Arrays.copyOfRange(body, nul + 1, body.length);
        write(c, path, value);
    }

    private static byte[] directoryBody(List<String> children) {
        return XsSockMsg.nulTerminated(children.toArray(String[]::new));
    }

    // ---- operations (also used in-process by subsystems) --------------------------------------------------------

    public synchronized byte[] read(XsConnection c, String path) throws XsError {
        String p = resolve(c, path);
        byte[] v = nodes.get(p);
        if (v == null) throw new XsError("ENOENT", p);
        return v.clone();
    }

    public void write(XsConnection c, String path, byte[] value) throws XsError {
        String p;
        synchronized (this) {
            p = resolve(c, path);
            for (String q = parent(p); q != null && !nodes.containsKey(q); q = parent(q)) nodes.put(q, new byte[0]);
            nodes.put(p, value.clone());
        }
        fire(p, false);
    }

    public synchronized List<String> directory(XsConnection c, String path) throws XsError {
        String p = resolve(c, path);
        if (!nodes.containsKey(p)) throw new XsError("ENOENT", p);
        String prefix = p.equals("/") ? "/" : p + "/";
        List<String> out = new ArrayList<>();
        for (String k : nodes.subMap(prefix, false, prefix + Character.MAX_VALUE, false).keySet()) {
            String rest = k.substring(prefix.length());
            if (!rest.isEmpty() && rest.indexOf('/') < 0) out.add(rest);
        }
        return out;
    }

    public void rm(XsConnection c, String path) throws XsError {
        String p;
        synchronized (this) {
            p = resolve(c, path);
            if (p.equals("/")) throw new XsError("EINVAL", "cannot remove /");
            if (!nodes.containsKey(p)) throw new XsError("ENOENT", p);
            nodes.remove(p);
            nodes.subMap(p + "/", true, p + "/" + Character.MAX_VALUE, true).clear();
        }
        fire(p, true);
    }

    public void watch(XsConnection c, String path, String token) throws XsError {
        String p = path.startsWith("@") ? checkSpecial(c, path) : resolve(c, path);
        for (Watch w : watches)
            if (w.conn == c && w.path.equals(p) && w.token.equals(token)) throw new XsError("EEXIST", p + " " + token);
        watches.add(new Watch(c, p, token));
        c.watchEvent(path.startsWith("@") ? path : p, token); // xenstored fires every new watch once
    }

    public void unwatch(XsConnection c, String path, String token) throws XsError {
        String p = path.startsWith("@") ? path : resolve(c, path);
        for (Watch w : watches) {
            if (w.conn == c && w.path.equals(p) && w.token.equals(token)) {
                watches.remove(w);
                return;
            }
        }
        throw new XsError("ENOENT", "no watch " + p + " " + token);
    }

    /** Fires the special watches ({@code @introduceDomain}, {@code @releaseDomain}) registered by any client. */
    public void fireSpecial(String special) {
        for (Watch w : watches) if (w.path.equals(special)) w.conn.watchEvent(special, w.token);
    }

    /**
     * A domain is gone: removes {@code /local/domain/<domid>} (as the toolstack does) and fires {@code @releaseDomain}
     * (as xenstored does).
     */
    public void domainReleased(int domid) {
        try {
            rm(HYPERVISOR, domainPath(domid));
        } catch (XsError e) {
            // no node for that domain: nothing to remove
        }
        watches.removeIf(w -> !w.conn.privileged() && w.conn.domid() == domid);
        fireSpecial("@releaseDomain");
    }

    /** Drops every watch of a connection that went away. */
    public void connectionClosed(XsConnection c) { watches.removeIf(w -> w.conn == c); }

    public int watchCount() { return watches.size(); }

    /** The toolstack's view, for in-process use by hypervisor subsystems. */
    public static final XsConnection HYPERVISOR = new XsConnection() {
        @Override public int domid() { return 0; }
        @Override public boolean privileged() { return true; }
        @Override public void watchEvent(String path, String token) {}
        @Override public String describe() { return "hypervisor"; }
    };

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static String checkSpecial(XsConnection c, String path) throws XsError {
        if (!path.equals("@releaseDomain") && !path.equals("@introduceDomain"))
            throw new XsError("EINVAL", "unknown special watch " + path);
        return path;
    }

    private void fire(String changed, boolean removed) {
        for (Watch w : watches) {
            String reported = null;
            if (under(changed, w.path)) reported = changed;
            else if (removed && under(w.path, changed)) reported = w.path;
            if (reported != null && mayAccess(w.conn, reported)) w.conn.watchEvent(reported, w.token);
        }
    }

    private static boolean under(String path, String ancestor) {
        return path.equals(ancestor) || ancestor.equals("/") || path.startsWith(ancestor + "/");
    }

    static String domainPath(int domid) { return "/local/domain/" + domid; }

    private static boolean mayAccess(XsConnection c, String p) {
        return c.privileged() || under(p, domainPath(c.domid()));
    }

    /** Makes {@code path} absolute, checks its syntax and the caller's permission. */
    String resolve(XsConnection c, String path) throws XsError {
        if (path.isEmpty()) throw new XsError("EINVAL", "empty path");
        String p = path.startsWith("/") ? path : domainPath(c.domid()) + "/" + path;
        if (p.length() > ABS_PATH_MAX) throw new XsError("E2BIG", "path longer than " + ABS_PATH_MAX);
        if (p.length() > 1 && p.endsWith("/")) throw new XsError("EINVAL", "trailing / in " + p);
        if (p.contains("//")) throw new XsError("EINVAL", "empty component in " + p);
        for (int i = 0; i < p.length(); i++) {
            char ch = p.charAt(i);
            boolean okChar = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
                    || ch == '/' || ch == '-' || ch == '_' || ch == '@';
            if (!okChar) throw new XsError("EINVAL", "bad character in path " + p);
        }
        if (!mayAccess(c, p)) throw new XsError("EACCES", c.describe() + " may not access " + p);
        return p;
    }

    private static String parent(String p) {
        if (p.equals("/")) return null;
        int i = p.lastIndexOf('/');
        return i == 0 ? "/" : p.substring(0, i);
    }

    /** Snapshot of all paths (tests, debugging). */
    public synchronized List<String> paths() { return Collections.unmodifiableList(new ArrayList<>(nodes.keySet())); }
}
