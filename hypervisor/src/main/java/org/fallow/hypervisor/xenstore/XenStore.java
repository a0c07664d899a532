package org.fallow.hypervisor.xenstore;

import org.fallow.abi.wire.XsSockMsg;
import org.fallow.hypervisor.core.RateLimitedLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntPredicate;

/**
 * The hypervisor's xenstore, with xenstored's semantics (PROTOCOL.md §6 and "xenstored.sock"): one tree of nodes,
 * served to guests in XENSTORE frames and to dom0 tools on {@code xenstored.sock}.
 * <ul>
 *   <li>Every node has an owner and an ACL ({@link XsPerms}); a new node inherits its parent's, except that a node an
 *       unprivileged domain creates is owned by it. dom0 may do everything. A missing node answers ENOENT only to a
 *       client allowed to know (its nearest existing ancestor grants the access), else EACCES.</li>
 *   <li>Transactions as xenstored's ({@link XsTransaction}): snapshot of the accessed nodes, EAGAIN on conflict.</li>
 *   <li>Quotas for unprivileged domains with xenstored's defaults and errnos ({@link XsQuotas}): nodes (ENOSPC),
 *       node size (ENOSPC), watches (E2BIG), transactions (ENOSPC), accessed nodes per transaction (ENOSPC),
 *       permissions per node (ENOSPC), path length (EINVAL). dom0 has Fallow's own, larger bounds.</li>
 *   <li>A reply that would exceed XENSTORE_PAYLOAD_MAX is answered E2BIG (clients then use XS_DIRECTORY_PART).</li>
 *   <li>Watches fire once when registered, then for changes at or below their path (and for the removal of an
 *       ancestor); a relative watch reports relative paths; a watcher only hears about nodes it may read;
 *       {@code @introduceDomain} and {@code @releaseDomain} fire when domains come and go.</li>
 * </ul>
 * Thread-safe: one lock around the tree; watch events are delivered after the reply, outside the lock, through
 * {@link XsConnection#watchEvent}, which must not block (each connection bounds its own queue).
 */
public final class XenStore {
    private static final Logger log = LoggerFactory.getLogger(XenStore.class);
    /** XENSTORE_ABS_PATH_MAX / XENSTORE_REL_PATH_MAX of io/xs_wire.h. */
    public static final int ABS_PATH_MAX = XsSockMsg.ABS_PATH_MAX;
    public static final int REL_PATH_MAX = XsSockMsg.REL_PATH_MAX;
    public static final String INTRODUCE_DOMAIN = "@introduceDomain";
    public static final String RELEASE_DOMAIN = "@releaseDomain";

    private record Watch(XsConnection conn, String node, String token, String relativePrefix) {}

    private record Event(XsConnection conn, String path, String token) {}

    private static final class ConnState {
        final List<Watch> watches = new ArrayList<>();
        final Map<Integer, XsTransaction> transactions = new HashMap<>();
        int nextTransaction = 1;
    }

    private final Map<String, XsNode> nodes = new HashMap<>();
    private final Map<Integer, Integer> ownedNodes = new HashMap<>();
    private final Map<XsConnection, ConnState> conns = new IdentityHashMap<>();
    private final Map<Integer, Integer> watchesPerDomain = new HashMap<>();
    private final Map<String, XsPerms> specialPerms = new HashMap<>();
    private final Set<Integer> introduced = new HashSet<>();
    private final Map<Integer, Integer> targets = new HashMap<>();
    private final XsQuotas quotas = new XsQuotas();
    private final List<Event> pending = new ArrayList<>();
    private long generation;
    private long storeBytes;
    private volatile boolean traceRequests;
    private volatile IntPredicate domainExists = d -> true;
    /**
     * Refused requests (EACCES, EINVAL, EQUOTA, ENOSYS...) are what a hostile client repeats at will: a burst of INFO
     * lines per client and kind every 10 s, the rest counted and summarised (issue 14, finding 7).
     */
    private volatile RateLimitedLog rejected = new RateLimitedLog(log, 5, TimeUnit.SECONDS.toNanos(10));

    /** Log key under which refused requests are counted ({@link #rejections()}). */
    public static final String REJECTED = "xenstore request rejected";

    public XenStore() {
        putGlobal("/", new XsNode(new byte[0], XsPerms.DOM0_ONLY, List.of(), ++generation));
        try {
            for (String p : List.of("/tool/xenstored", "/local/domain")) mkdir(global, HYPERVISOR, p);
        } catch (XsError e) {
            throw new IllegalStateException(e);
        }
        specialPerms.put(INTRODUCE_DOMAIN, XsPerms.DOM0_ONLY);
        specialPerms.put(RELEASE_DOMAIN, XsPerms.DOM0_ONLY);
    }

    /** Logs refused requests through {@code log} (the hypervisor's bad-input log, flushed by its timer). */
    public void rejections(RateLimitedLog log) { rejected = log; }

    /** The rate-limited log of refused requests (count per kind: {@link RateLimitedLog#count}). */
    public RateLimitedLog rejections() { return rejected; }

    /** Tells the store which domains exist (for XS_INTRODUCE); default: all. */
    public void domainExists(IntPredicate exists) { domainExists = exists; }

    public XsQuotas quotas() { return quotas; }

    // ---- wire entry point ----------------------------------------------------------------------------------------

    /**
     * Handles one request: hands the complete reply (an xsd_sockmsg with the request's req_id and tx_id) to
     * {@code reply}, then delivers the watch events the request caused (so a watch's first event follows its ack).
     */
    public void handle(XsConnection c, XsSockMsg msg, Consumer<byte[]> reply) {
        byte[] out;
        List<Event> events;
        synchronized (this) {
            out = dispatch(c, msg);
            events = takePending();
        }
        reply.accept(out);
        deliver(events);
    }

    /** As {@link #handle(XsConnection, XsSockMsg, Consumer)}, returning the reply (events are delivered first). */
    public byte[] handle(XsConnection c, XsSockMsg msg) {
        byte[][] box = new byte[1][];
        handle(c, msg, r -> box[0] = r);
        return box[0];
    }

    private byte[] dispatch(XsConnection c, XsSockMsg msg) {
        int type = msg.type();
        int txId = msg.txId();
        byte[] body = msg.body();
        try {
            if (body.length > XsSockMsg.PAYLOAD_MAX) throw new XsError("E2BIG", body.length + " > XENSTORE_PAYLOAD_MAX");
            if (traceRequests) log.info("{}: {} tx {} {}", c.describe(), XsSockMsg.typeName(type), txId, printable(body));
            byte[] reply = switch (type) {
                case XsSockMsg.XS_READ -> read(view(c, txId), c, oneArg(body));
                case XsSockMsg.XS_WRITE -> { writeFromWire(c, txId, body); yield ok(); }
                case XsSockMsg.XS_MKDIR -> { mkdir(view(c, txId), c, oneArg(body)); yield ok(); }
                case XsSockMsg.XS_RM -> { rm(view(c, txId), c, oneArg(body)); yield ok(); }
                case XsSockMsg.XS_DIRECTORY -> XsSockMsg.nulTerminated(directory(view(c, txId), c, oneArg(body)).toArray(String[]::new));
                case XsSockMsg.XS_DIRECTORY_PART -> directoryPart(view(c, txId), c, args(body, 2));
                case XsSockMsg.XS_GET_PERMS -> XsSockMsg.nulTerminated(getPerms(view(c, txId), c, oneArg(body)).entries().toArray(String[]::new));
                case XsSockMsg.XS_SET_PERMS -> { setPermsFromWire(c, txId, body); yield ok(); }
                case XsSockMsg.XS_WATCH -> { List<String> a = args(body, 2); watchLocked(c, a.get(0), a.get(1)); yield ok(); }
                case XsSockMsg.XS_UNWATCH -> { List<String> a = args(body, 2); unwatchLocked(c, a.get(0), a.get(1)); yield ok(); }
                case XsSockMsg.XS_TRANSACTION_START -> XsSockMsg.nulTerminated(Integer.toUnsignedString(transactionStart(c)));
                case XsSockMsg.XS_TRANSACTION_END -> { transactionEnd(c, txId, oneArg(body)); yield ok(); }
                case XsSockMsg.XS_GET_DOMAIN_PATH -> XsSockMsg.nulTerminated(domainPath(XsPerms.parseDomid(oneArg(body))));
                case XsSockMsg.XS_IS_DOMAIN_INTRODUCED -> XsSockMsg.nulTerminated(isIntroduced(c, oneArg(body)) ? "T" : "F");
                case XsSockMsg.XS_INTRODUCE -> { introduce(c, args(body, 3)); yield ok(); }
                case XsSockMsg.XS_RELEASE -> { release(c, oneArg(body)); yield ok(); }
                case XsSockMsg.XS_RESUME -> { resume(c, oneArg(body)); yield ok(); }
                case XsSockMsg.XS_SET_TARGET -> { setTarget(c, args(body, 2)); yield ok(); }
                case XsSockMsg.XS_RESET_WATCHES -> { resetWatches(c); yield ok(); }
                case XsSockMsg.XS_CONTROL -> XsControl.run(this, c, XsSockMsg.split(body));
                // xenstored: a type it has no handler for (incl. WATCH_EVENT, ERROR, the removed RESTRICT) is ENOSYS
                default -> throw new XsError("ENOSYS", "unsupported message " + XsSockMsg.typeName(type));
            };
            if (reply.length > XsSockMsg.PAYLOAD_MAX)
                throw new XsError("E2BIG", XsSockMsg.typeName(type) + " reply of " + reply.length + " bytes > XENSTORE_PAYLOAD_MAX");
            return XsSockMsg.encode(type, msg.reqId(), txId, reply);
        } catch (XsError e) {
            String name = e.errnoName();
            boolean routine = name.equals("ENOENT") || name.equals("EAGAIN") || name.equals("EEXIST") || name.equals("E2BIG");
            if (routine) log.debug("{}: xenstore {} -> {}", c.describe(), XsSockMsg.typeName(type), e.getMessage());
            else rejected.info(REJECTED, c.describe(), "{}: xenstore {} rejected: {}", c.describe(), XsSockMsg.typeName(type), e.getMessage());
            return XsSockMsg.encode(XsSockMsg.XS_ERROR, msg.reqId(), txId, XsSockMsg.nulTerminated(name));
        }
    }

    private static byte[] ok() { return XsSockMsg.nulTerminated("OK"); }

    /** The single NUL-terminated argument of a request (xenstored's onearg: EINVAL otherwise). */
    private static String oneArg(byte[] body) throws XsError {
        int nul = indexOfNul(body, 0);
        if (body.length == 0 || nul != body.length - 1) throw new XsError("EINVAL", "expected one NUL-terminated argument");
        return new String(body, 0, nul, StandardCharsets.UTF_8);
    }

    /** Exactly {@code n} NUL-terminated arguments. */
    private static List<String> args(byte[] body, int n) throws XsError {
        if (body.length == 0 || body[body.length - 1] != 0) throw new XsError("EINVAL", "arguments not NUL-terminated");
        List<String> a = XsSockMsg.split(body);
        if (a.size() != n) throw new XsError("EINVAL", "expected " + n + " arguments, got " + a.size());
        return a;
    }

    private static int indexOfNul(byte[] b, int from) {
        for (int i = from; i < b.length; i++) if (b[i] == 0) return i;
        return -1;
    }

    private void writeFromWire(XsConnection c, int txId, byte[] body) throws XsError {
        int nul = indexOfNul(body, 0);
        if (nul < 0) throw new XsError("EINVAL", "XS_WRITE body has no NUL after the path");
        String path = new String(body, 0, nul, StandardCharsets.UTF_8);
        write(view(c, txId), c, path, Arrays.copyOfRange(body, nul + 1, body.length));
    }

    private void setPermsFromWire(XsConnection c, int txId, byte[] body) throws XsError {
        if (body.length == 0 || body[body.length - 1] != 0) throw new XsError("EINVAL", "XS_SET_PERMS body not NUL-terminated");
        List<String> a = XsSockMsg.split(body);
        if (a.size() < 2) throw new XsError("EINVAL", "XS_SET_PERMS needs a path and at least one permission");
        setPerms(view(c, txId), c, a.get(0), XsPerms.parse(a.subList(1, a.size())));
    }

    private static String printable(byte[] body) {
        String s = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8).replace('\0', ' ');
        return body.length > 200 ? s + "..." : s;
    }

    // ---- in-process API (hypervisor subsystems, tests) -----------------------------------------------------------

    public synchronized byte[] read(XsConnection c, String path) throws XsError { return read(global, c, path); }

    private interface Op {
        void run() throws XsError;
    }

    /** Runs a change under the lock, then delivers the watch events it caused (outside the lock). */
    private void mutate(Op op) throws XsError {
        List<Event> ev;
        synchronized (this) {
            try {
                op.run();
            } finally {
                ev = takePending();
            }
        }
        deliver(ev);
    }

    public void write(XsConnection c, String path, byte[] value) throws XsError { mutate(() -> write(global, c, path, value)); }

    public synchronized List<String> directory(XsConnection c, String path) throws XsError { return directory(global, c, path); }

    public void mkdir(XsConnection c, String path) throws XsError { mutate(() -> mkdir(global, c, path)); }

    public void rm(XsConnection c, String path) throws XsError { mutate(() -> rm(global, c, path)); }

    public synchronized XsPerms getPerms(XsConnection c, String path) throws XsError { return getPerms(global, c, path); }

    public void setPerms(XsConnection c, String path, XsPerms perms) throws XsError { mutate(() -> setPerms(global, c, path, perms)); }

    public void watch(XsConnection c, String path, String token) throws XsError { mutate(() -> watchLocked(c, path, token)); }

    public void unwatch(XsConnection c, String path, String token) throws XsError {
        synchronized (this) {
            unwatchLocked(c, path, token);
        }
    }

    /** Fires a special watch ({@code @introduceDomain}, {@code @releaseDomain}) for every client allowed to see it. */
    public void fireSpecial(String special) { internal(() -> fireSpecialLocked(special)); }

    /** As {@link #mutate} for the hypervisor's own changes, which cannot be refused (a failure is logged). */
    private void internal(Op op) {
        try {
            mutate(op);
        } catch (XsError e) {
            log.warn("xenstore: {}", e.getMessage());
        }
    }

    /**
     * A domain was created: it is introduced (XS_IS_DOMAIN_INTRODUCED answers T), gets its home
     * {@code /local/domain/<domid>} owned by itself (so it may use it, and what the toolstack writes there is
     * readable by it), and {@code @introduceDomain} fires.
     */
    public void domainIntroduced(int domid) {
        internal(() -> {
            introduced.add(domid);
            String home = domainPath(domid);
            try {
                if (nodes.get(home) == null) mkdir(global, HYPERVISOR, home);
                setPerms(global, HYPERVISOR, home, XsPerms.of("n" + domid));
            } finally {
                fireSpecialLocked(INTRODUCE_DOMAIN);
            }
        });
    }

    /**
     * A domain is gone: removes {@code /local/domain/<domid>} (as the toolstack does), drops the domain's watches and
     * transactions and fires {@code @releaseDomain} (as xenstored does).
     */
    public void domainReleased(int domid) {
        internal(() -> {
            try {
                if (nodes.containsKey(domainPath(domid))) rm(global, HYPERVISOR, domainPath(domid));
            } finally {
                releaseLocked(domid);
            }
        });
    }

    /** Drops every watch and transaction of a connection that went away. */
    public synchronized void connectionClosed(XsConnection c) {
        ConnState s = conns.remove(c);
        if (s != null) for (Watch w : s.watches) countWatch(c, -1);
    }

    public synchronized int watchCount() {
        int n = 0;
        for (ConnState s : conns.values()) n += s.watches.size();
        return n;
    }

    /** Number of nodes owned by {@code domid} (what the {@code nodes} quota counts). */
    public synchronized int nodesOwnedBy(int domid) { return ownedNodes.getOrDefault(domid, 0); }

    public synchronized int nodeCount() { return nodes.size(); }

    /** The toolstack's view, for in-process use by hypervisor subsystems. */
    public static final XsConnection HYPERVISOR = new XsConnection() {
        @Override public int domid() { return 0; }
        @Override public boolean privileged() { return true; }
        @Override public void watchEvent(String path, String token) {}
        @Override public String describe() { return "hypervisor"; }
    };

    /** Snapshot of all paths, sorted (tests, debugging). */
    public synchronized List<String> paths() { return Collections.unmodifiableList(new ArrayList<>(new TreeSet<>(nodes.keySet()))); }

    // ---- views: the store itself, or a transaction ----------------------------------------------------------------

    private interface View {
        XsNode get(String path) throws XsError;

        void put(String path, XsNode node) throws XsError;

        void remove(String path) throws XsError;

        int owned(int domid);

        void changed(String path, boolean removed, XsPerms perms);
    }

    private final View global = new View() {
        @Override public XsNode get(String path) { return nodes.get(path); }

        @Override public void put(String path, XsNode node) throws XsError {
            XsNode old = nodes.get(path);
            if (old == null && nodes.size() >= XsQuotas.STORE_NODES) throw new XsError("ENOSPC", "store full (" + nodes.size() + " nodes)");
            long grow = node.value().length - (old == null ? -path.length() : old.value().length);
            if (grow > 0 && storeBytes + grow > XsQuotas.STORE_BYTES) throw new XsError("ENOSPC", "store full (" + storeBytes + " bytes)");
            putGlobal(path, node);
        }

        @Override public void remove(String path) { removeGlobal(path); }

        @Override public int owned(int domid) { return ownedNodes.getOrDefault(domid, 0); }

        @Override public void changed(String path, boolean removed, XsPerms perms) { fire(path, removed, perms); }
    };

    private void putGlobal(String path, XsNode node) {
        XsNode old = nodes.put(path, node);
        if (old != null) {
            storeBytes -= old.value().length;
            ownedNodes.merge(old.perms().owner(), -1, Integer::sum);
        } else {
            storeBytes += path.length();
        }
        storeBytes += node.value().length;
        ownedNodes.merge(node.perms().owner(), 1, Integer::sum);
    }

    private void removeGlobal(String path) {
        XsNode old = nodes.remove(path);
        if (old == null) return;
        storeBytes -= old.value().length + path.length();
        ownedNodes.merge(old.perms().owner(), -1, Integer::sum);
    }

    /** A transaction's view of the store. */
    private final class TxView implements View {
        final XsTransaction tx;
        final int maxAccessed;

        TxView(XsTransaction tx, int maxAccessed) {
            this.tx = tx;
            this.maxAccessed = maxAccessed;
        }

        @Override public XsNode get(String path) throws XsError {
            if (tx.overlay.containsKey(path)) return tx.overlay.get(path);
            if (tx.overlay.size() >= maxAccessed)
                throw new XsError("ENOSPC", "transaction " + tx.id + " accessed " + maxAccessed + " nodes (transaction-nodes quota)");
            XsNode n = nodes.get(path);
            tx.overlay.put(path, n);
            tx.accessed.put(path, n == null ? XsTransaction.ABSENT : n.generation());
            return n;
        }

        @Override public void put(String path, XsNode node) throws XsError {
            XsNode old = get(path);
            tx.overlay.put(path, node);
            tx.dirty.add(path);
            if (old != null) tx.ownerDelta.merge(old.perms().owner(), -1, Integer::sum);
            tx.ownerDelta.merge(node.perms().owner(), 1, Integer::sum);
        }

        @Override public void remove(String path) throws XsError {
            XsNode old = get(path);
            tx.overlay.put(path, null);
            tx.dirty.add(path);
            if (old != null) tx.ownerDelta.merge(old.perms().owner(), -1, Integer::sum);
        }

        @Override public int owned(int domid) { return ownedNodes.getOrDefault(domid, 0) + tx.ownerDelta.getOrDefault(domid, 0); }

        @Override public void changed(String path, boolean removed, XsPerms perms) {
            tx.changes.add(new XsTransaction.Change(path, removed, perms));
        }
    }

    private View view(XsConnection c, int txId) throws XsError {
        if (txId == 0) return global;
        ConnState s = conns.get(c);
        XsTransaction tx = s == null ? null : s.transactions.get(txId);
        if (tx == null) throw new XsError("ENOENT", "no transaction " + Integer.toUnsignedString(txId));
        return new TxView(tx, c.privileged() ? XsQuotas.DOM0_TRANSACTION_NODES : quotas.get("transaction-nodes"));
    }

    // ---- operations ----------------------------------------------------------------------------------------------

    private byte[] read(View v, XsConnection c, String path) throws XsError {
        return existing(v, c, canonical(c, path), XsPerms.READ).value().clone();
    }

    private void write(View v, XsConnection c, String path, byte[] value) throws XsError {
        String p = canonical(c, path);
        XsNode n = v.get(p);
        if (n == null) {
            create(v, c, p, value);
            return;
        }
        requireAccess(c, p, n, XsPerms.WRITE);
        XsNode updated = n.withValue(value.clone(), ++generation);
        checkNodeSize(c, p, updated);
        v.put(p, updated);
        v.changed(p, false, updated.perms());
    }

    private void mkdir(View v, XsConnection c, String path) throws XsError {
        String p = canonical(c, path);
        XsNode n = v.get(p);
        if (n != null) {
            requireAccess(c, p, n, XsPerms.WRITE);
            return; // xenstored: "If it already exists, fine."
        }
        create(v, c, p, new byte[0]);
    }

    /** Creates {@code p} (value {@code value}) and its missing ancestors; all checks are made before any change. */
    private void create(View v, XsConnection c, String p, byte[] value) throws XsError {
        List<String> missing = new ArrayList<>();
        String anc = p;
        XsNode ancestor = null;
        while (anc != null) {
            ancestor = v.get(anc);
            if (ancestor != null) break;
            missing.add(anc);
            anc = parent(anc);
        }
        if (ancestor == null) throw new IllegalStateException("no root node");
        if ((access(c, ancestor.perms()) & XsPerms.WRITE) == 0)
            throw new XsError("EACCES", c.describe() + " may not create nodes below " + anc);
        Collections.reverse(missing); // top-down
        XsPerms inherited = c.privileged() ? ancestor.perms() : ancestor.perms().withOwner(c.domid());
        if (!c.privileged()) {
            int nodesQuota = quotas.get("nodes");
            if (v.owned(c.domid()) + missing.size() > nodesQuota)
                throw new XsError("ENOSPC", c.describe() + " owns " + v.owned(c.domid()) + " nodes (nodes quota " + nodesQuota + ")");
            int size = quotas.get("node-size");
            int leafSize = 24 + inherited.recordBytes() + value.length;
            if (leafSize >= size) throw new XsError("ENOSPC", "node of " + leafSize + " bytes (node-size quota " + size + ")");
            int parentSize = ancestor.recordSize() + name(missing.get(0)).length() + 1;
            if (parentSize >= size) throw new XsError("ENOSPC", anc + " would be " + parentSize + " bytes (node-size quota " + size + ")");
        }
        String parentPath = anc;
        XsNode parentNode = ancestor;
        for (int i = 0; i < missing.size(); i++) {
            String q = missing.get(i);
            long gen = ++generation;
            XsNode created = new XsNode(i == missing.size() - 1 ? value.clone() : new byte[0], inherited, List.of(), gen);
            v.put(q, created);
            XsNode newParent = parentNode.withChild(name(q), gen);
            v.put(parentPath, newParent);
            parentPath = q;
            parentNode = created;
        }
        v.changed(p, false, inherited);
    }

    private void rm(View v, XsConnection c, String path) throws XsError {
        String p = canonical(c, path);
        XsNode n = v.get(p);
        if (n == null) {
            XsError why = missing(v, c, p, XsPerms.WRITE);
            // xenstored: removing a node that does not exist is fine if its parent exists
            if (why.errnoName().equals("ENOENT") && v.get(parent(p)) != null) return;
            throw why;
        }
        requireAccess(c, p, n, XsPerms.WRITE);
        if (p.equals("/")) throw new XsError("EINVAL", "cannot remove /");
        // remove the subtree (iteratively; bounded by the store's size and, in a transaction, its quota)
        ArrayDeque<String> todo = new ArrayDeque<>();
        List<String> doomed = new ArrayList<>();
        todo.push(p);
        while (!todo.isEmpty()) {
            String q = todo.pop();
            XsNode qn = v.get(q);
            if (qn == null) continue;
            doomed.add(q);
            for (String child : qn.children()) todo.push(q + "/" + child);
        }
        for (String q : doomed) v.remove(q);
        String parentPath = parent(p);
        XsNode parentNode = v.get(parentPath);
        if (parentNode != null) v.put(parentPath, parentNode.withoutChild(name(p), ++generation));
        v.changed(p, true, n.perms());
    }

    private List<String> directory(View v, XsConnection c, String path) throws XsError {
        return existing(v, c, canonical(c, path), XsPerms.READ).children();
    }

    /**
     * XS_DIRECTORY_PART "path\0offset\0" → "generation\0" + the children list from byte {@code offset} on, as much as
     * fits; the final part ends with an extra NUL (xenstored's send_directory_part).
     */
    private byte[] directoryPart(View v, XsConnection c, List<String> a) throws XsError {
        XsNode n = existing(v, c, canonical(c, a.get(0)), XsPerms.READ);
        int off;
        try {
            off = Integer.parseInt(a.get(1));
        } catch (NumberFormatException e) {
            throw new XsError("EINVAL", "bad offset '" + a.get(1) + "'");
        }
        if (off < 0) throw new XsError("EINVAL", "negative offset");
        byte[] gen = (Long.toUnsignedString(n.generation()) + "\0").getBytes(StandardCharsets.US_ASCII);
        byte[] all = XsSockMsg.nulTerminated(n.children().toArray(String[]::new));
        if (off >= all.length) {
            byte[] out = Arrays.copyOf(gen, gen.length + 1);
            return out; // an empty string after the generation: the end
        }
        int len = 0;
        while (off + len < all.length) {
            int end = indexOfNul(all, off + len);
            int childLen = end - (off + len) + 1;
            if (gen.length + len + childLen > XsSockMsg.PAYLOAD_MAX - 1) break;
            len += childLen;
        }
        if (len == 0) throw new XsError("E2BIG", "child name does not fit a reply");
        boolean last = off + len == all.length;
        byte[] out = new byte[gen.length + len + (last ? 1 : 0)];
        System.arraycopy(gen, 0, out, 0, gen.length);
        System.arraycopy(all, off, out, gen.length, len);
        return out;
    }

    private XsPerms getPerms(View v, XsConnection c, String path) throws XsError {
        if (path.startsWith("@")) {
            XsPerms sp = specialPerms.get(path);
            if (sp == null) throw new XsError("ENOENT", path);
            if ((access(c, sp) & XsPerms.READ) == 0) throw new XsError("EACCES", path);
            return sp;
        }
        return existing(v, c, canonical(c, path), XsPerms.READ).perms();
    }

    private void setPerms(View v, XsConnection c, String path, XsPerms perms) throws XsError {
        if (!c.privileged() && perms.size() > quotas.get("permissions") + 1)
            throw new XsError("ENOSPC", perms.size() + " permissions (permissions quota " + quotas.get("permissions") + ")");
        if (path.startsWith("@")) {
            if (!c.privileged()) throw new XsError("EACCES", c.describe() + " may not set permissions of " + path);
            if (!specialPerms.containsKey(path)) throw new XsError("ENOENT", path);
            specialPerms.put(path, perms);
            return;
        }
        String p = canonical(c, path);
        XsNode n = existing(v, c, p, XsPerms.WRITE | XsPerms.OWNER);
        if (!c.privileged() && perms.owner() != n.perms().owner())
            throw new XsError("EPERM", c.describe() + " may not give " + p + " away");
        XsNode updated = n.withPerms(perms, ++generation);
        checkNodeSize(c, p, updated);
        v.put(p, updated);
        v.changed(p, false, n.perms());
    }

    // ---- watches -------------------------------------------------------------------------------------------------

    private void watchLocked(XsConnection c, String path, String token) throws XsError {
        String node;
        String relativePrefix = null;
        if (path.startsWith("@")) {
            if (path.length() > REL_PATH_MAX) throw new XsError("EINVAL", "special watch name too long");
            node = path;
        } else {
            node = canonical(c, path);
            if (!path.startsWith("/")) relativePrefix = domainPath(c.domid()) + "/";
        }
        ConnState s = state(c);
        for (Watch w : s.watches)
            if (w.node.equals(node) && w.token.equals(token)) throw new XsError("EEXIST", path + " " + token);
        if (c.privileged()) {
            if (s.watches.size() >= XsQuotas.DOM0_WATCHES) throw new XsError("E2BIG", s.watches.size() + " watches on one connection");
        } else if (watchesPerDomain.getOrDefault(c.domid(), 0) > quotas.get("watches")) {
            // xenstored compares before adding ("> quota"), so a domain ends up with quota + 1 watches at most
            throw new XsError("E2BIG", c.describe() + " has " + watchesPerDomain.get(c.domid()) + " watches (watches quota)");
        }
        Watch w = new Watch(c, node, token, relativePrefix);
        s.watches.add(w);
        countWatch(c, 1);
        pending.add(new Event(c, reported(w, node), token)); // xenstored fires every new watch once
    }

    private void unwatchLocked(XsConnection c, String path, String token) throws XsError {
        String node = path.startsWith("@") ? path : canonical(c, path);
        ConnState s = conns.get(c);
        if (s != null) {
            for (var it = s.watches.iterator(); it.hasNext(); ) {
                Watch w = it.next();
                if (w.node.equals(node) && w.token.equals(token)) {
                    it.remove();
                    countWatch(c, -1);
                    return;
                }
            }
        }
        throw new XsError("ENOENT", "no watch " + path + " " + token);
    }

    private void countWatch(XsConnection c, int delta) {
        if (!c.privileged()) watchesPerDomain.merge(c.domid(), delta, Integer::sum);
    }

    private void resetWatches(XsConnection c) {
        ConnState s = conns.get(c);
        if (s == null) return;
        for (Watch w : s.watches) countWatch(c, -1);
        s.watches.clear();
        s.transactions.clear(); // xenstored 4.17 also ends the connection's transactions
    }

    private static String reported(Watch w, String path) {
        if (w.relativePrefix != null && path.startsWith(w.relativePrefix)) return path.substring(w.relativePrefix.length());
        return path;
    }

    private void fire(String changed, boolean removed, XsPerms perms) {
        for (ConnState s : conns.values()) {
            for (Watch w : s.watches) {
                if (w.node.startsWith("@")) continue;
                String reported = null;
                if (under(changed, w.node)) reported = changed;
                else if (removed && under(w.node, changed)) reported = w.node;
                if (reported == null) continue;
                if ((access(w.conn, perms) & XsPerms.READ) == 0) continue;
                pending.add(new Event(w.conn, reported(w, reported), w.token));
            }
        }
    }

    private void fireSpecialLocked(String special) {
        XsPerms sp = specialPerms.getOrDefault(special, XsPerms.DOM0_ONLY);
        for (ConnState s : conns.values())
            for (Watch w : s.watches)
                if (w.node.equals(special) && (access(w.conn, sp) & XsPerms.READ) != 0) pending.add(new Event(w.conn, special, w.token));
    }

    private List<Event> takePending() {
        if (pending.isEmpty()) return List.of();
        List<Event> out = new ArrayList<>(pending);
        pending.clear();
        return out;
    }

    private void deliver(List<Event> events) {
        for (Event e : events) {
            try {
                e.conn.watchEvent(e.path, e.token);
            } catch (RuntimeException ex) {
                rejected.warn("watch event not delivered", e.conn.describe(), "{}: watch event {} not delivered: {}",
                        e.conn.describe(), e.path, ex.toString());
            }
        }
    }

    // ---- transactions --------------------------------------------------------------------------------------------

    private int transactionStart(XsConnection c) throws XsError {
        ConnState s = state(c);
        if (c.privileged()) {
            if (s.transactions.size() >= XsQuotas.DOM0_TRANSACTIONS)
                throw new XsError("ENOSPC", s.transactions.size() + " open transactions on one connection");
        } else if (s.transactions.size() > quotas.get("transactions")) {
            // xenstored: "transaction_started > quota" (quota + 1 open transactions at most)
            throw new XsError("ENOSPC", c.describe() + " has " + s.transactions.size() + " open transactions (transactions quota)");
        }
        int id;
        do {
            id = s.nextTransaction++;
            if (s.nextTransaction == 0) s.nextTransaction = 1;
        } while (id == 0 || s.transactions.containsKey(id));
        s.transactions.put(id, new XsTransaction(id));
        return id;
    }

    private void transactionEnd(XsConnection c, int txId, String arg) throws XsError {
        boolean commit;
        if (arg.equals("T")) commit = true;
        else if (arg.equals("F")) commit = false;
        else throw new XsError("EINVAL", "XS_TRANSACTION_END argument must be T or F, not '" + arg + "'");
        ConnState s = conns.get(c);
        XsTransaction tx = s == null || txId == 0 ? null : s.transactions.remove(txId);
        if (tx == null) throw new XsError("ENOENT", "no transaction " + Integer.toUnsignedString(txId));
        if (commit) commit(c, tx);
    }

    private void commit(XsConnection c, XsTransaction tx) throws XsError {
        for (var e : tx.accessed.entrySet()) {
            XsNode now = nodes.get(e.getKey());
            long gen = now == null ? XsTransaction.ABSENT : now.generation();
            if (gen != e.getValue()) throw new XsError("EAGAIN", "transaction " + tx.id + ": " + e.getKey() + " changed");
        }
        if (!c.privileged()) {
            int after = ownedNodes.getOrDefault(c.domid(), 0) + tx.ownerDelta.getOrDefault(c.domid(), 0);
            if (after > quotas.get("nodes")) throw new XsError("ENOSPC", c.describe() + " would own " + after + " nodes");
        }
        int newNodes = 0;
        for (String p : tx.dirty) if (tx.overlay.get(p) != null && !nodes.containsKey(p)) newNodes++;
        if (nodes.size() + newNodes > XsQuotas.STORE_NODES) throw new XsError("ENOSPC", "store full");
        for (String p : tx.dirty) {
            XsNode n = tx.overlay.get(p);
            if (n == null) removeGlobal(p);
            else putGlobal(p, new XsNode(n.value(), n.perms(), n.children(), ++generation));
        }
        for (XsTransaction.Change ch : tx.changes) fire(ch.path(), ch.removed(), ch.perms());
    }

    // ---- domains -------------------------------------------------------------------------------------------------

    private boolean isIntroduced(XsConnection c, String arg) throws XsError {
        requirePrivileged(c, "XS_IS_DOMAIN_INTRODUCED");
        int domid = XsPerms.parseDomid(arg);
        return domid == 0 || introduced.contains(domid);
    }

    private void introduce(XsConnection c, List<String> a) throws XsError {
        requirePrivileged(c, "XS_INTRODUCE");
        int domid = XsPerms.parseDomid(a.get(0));
        try {
            Long.parseUnsignedLong(a.get(1));
            Integer.parseUnsignedInt(a.get(2));
        } catch (NumberFormatException e) {
            throw new XsError("EINVAL", "XS_INTRODUCE needs a numeric mfn and event channel");
        }
        if (domid == 0 || !domainExists.test(domid)) throw new XsError("EINVAL", "no domain " + domid + " to introduce");
        if (introduced.add(domid)) fireSpecialLocked(INTRODUCE_DOMAIN);
    }

    private void release(XsConnection c, String arg) throws XsError {
        requirePrivileged(c, "XS_RELEASE");
        int domid = XsPerms.parseDomid(arg);
        if (domid == 0) throw new XsError("EINVAL", "cannot release dom0");
        if (!introduced.contains(domid)) throw new XsError("ENOENT", "domain " + domid + " is not introduced");
        releaseLocked(domid);
    }

    private void releaseLocked(int domid) {
        introduced.remove(domid);
        targets.remove(domid);
        for (var e : conns.entrySet()) {
            XsConnection c = e.getKey();
            if (c.privileged() || c.domid() != domid) continue;
            e.getValue().watches.clear();
            e.getValue().transactions.clear();
        }
        watchesPerDomain.remove(domid);
        fireSpecialLocked(RELEASE_DOMAIN);
    }

    private void resume(XsConnection c, String arg) throws XsError {
        requirePrivileged(c, "XS_RESUME");
        int domid = XsPerms.parseDomid(arg);
        if (!introduced.contains(domid)) throw new XsError("ENOENT", "domain " + domid + " is not introduced");
    }

    private void setTarget(XsConnection c, List<String> a) throws XsError {
        requirePrivileged(c, "XS_SET_TARGET");
        int domid = XsPerms.parseDomid(a.get(0));
        int target = XsPerms.parseDomid(a.get(1));
        if (!introduced.contains(domid) || !introduced.contains(target))
            throw new XsError("ENOENT", "domain " + domid + " or " + target + " is not introduced");
        targets.put(domid, target);
    }

    // ---- used by XsControl ---------------------------------------------------------------------------------------

    void traceRequests(boolean on) { traceRequests = on; }

    boolean tracingRequests() { return traceRequests; }

    /** xenstored's per-domain quota report ({@code xenstore-control quota DOMID}). */
    String domainUsage(int domid) throws XsError {
        if (domid != 0 && !introduced.contains(domid)) throw new XsError("ENOENT", "domain " + domid + " is not introduced");
        int tx = 0;
        for (var e : conns.entrySet())
            if (e.getKey().domid() == domid) tx += e.getValue().transactions.size();
        return String.format("Domain %d:%n%-16s: %8d%n%-16s: %8d%n%-16s: %8d%n", domid,
                "nodes", ownedNodes.getOrDefault(domid, 0), "watches", watchesPerDomain.getOrDefault(domid, 0),
                "transactions", tx);
    }

    /** Consistency check ({@code xenstore-control check}): every child listed exists and every node is listed. */
    List<String> check() {
        List<String> problems = new ArrayList<>();
        for (var e : nodes.entrySet()) {
            String p = e.getKey();
            for (String child : e.getValue().children()) {
                String cp = p.equals("/") ? "/" + child : p + "/" + child;
                if (!nodes.containsKey(cp)) problems.add(p + " lists missing child " + child);
            }
            if (!p.equals("/")) {
                XsNode parent = nodes.get(parent(p));
                if (parent == null || !parent.children().contains(name(p))) problems.add(p + " is not listed by its parent");
            }
        }
        return problems;
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private ConnState state(XsConnection c) { return conns.computeIfAbsent(c, k -> new ConnState()); }

    private static void requirePrivileged(XsConnection c, String what) throws XsError {
        if (!c.privileged()) throw new XsError("EACCES", what + " is for dom0 only");
    }

    private int access(XsConnection c, XsPerms perms) {
        return perms.access(c.privileged(), c.domid(), targets.getOrDefault(c.domid(), -1));
    }

    private XsNode existing(View v, XsConnection c, String p, int perm) throws XsError {
        XsNode n = v.get(p);
        if (n == null) throw missing(v, c, p, perm);
        requireAccess(c, p, n, perm);
        return n;
    }

    private void requireAccess(XsConnection c, String p, XsNode n, int perm) throws XsError {
        if ((access(c, n.perms()) & perm) != perm) throw new XsError("EACCES", c.describe() + " may not access " + p);
    }

    /** ENOENT if the nearest existing ancestor grants {@code perm} (the client may know), else EACCES. */
    private XsError missing(View v, XsConnection c, String p, int perm) throws XsError {
        for (String q = parent(p); q != null; q = parent(q)) {
            XsNode n = v.get(q);
            if (n == null) continue;
            return (access(c, n.perms()) & (perm & (XsPerms.READ | XsPerms.WRITE))) != 0 || c.privileged()
                    ? new XsError("ENOENT", p) : new XsError("EACCES", c.describe() + " may not access " + p);
        }
        return new XsError("ENOENT", p);
    }

    private void checkNodeSize(XsConnection c, String p, XsNode n) throws XsError {
        if (c.privileged()) return;
        int size = quotas.get("node-size");
        if (n.recordSize() >= size) throw new XsError("ENOSPC", p + " would be " + n.recordSize() + " bytes (node-size quota " + size + ")");
    }

    static String domainPath(int domid) { return "/local/domain/" + domid; }

    /** Makes {@code path} absolute and checks its syntax (xenstored's is_valid_nodename): EINVAL if bad. */
    String canonical(XsConnection c, String path) throws XsError {
        if (path.isEmpty()) throw new XsError("EINVAL", "empty path");
        String p = path.startsWith("/") ? path : domainPath(c.domid()) + "/" + path;
        if (p.length() > ABS_PATH_MAX) throw new XsError("EINVAL", "path longer than " + ABS_PATH_MAX);
        if (p.length() > 1 && p.endsWith("/")) throw new XsError("EINVAL", "trailing / in " + p);
        if (p.contains("//")) throw new XsError("EINVAL", "empty component in " + p);
        for (int i = 0; i < p.length(); i++) {
            char ch = p.charAt(i);
            boolean okChar = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
                    || ch == '/' || ch == '-' || ch == '_' || ch == '@';
            if (!okChar) throw new XsError("EINVAL", "bad character in path " + p);
        }
        if (!c.privileged()) {
            String home = domainPath(c.domid()) + "/";
            int local = p.startsWith(home) ? home.length() : 0;
            if (p.length() > local + REL_PATH_MAX) throw new XsError("EINVAL", "path longer than the path-max quota");
        }
        return p;
    }

    private static boolean under(String path, String ancestor) {
        return path.equals(ancestor) || ancestor.equals("/") || path.startsWith(ancestor + "/");
    }

    private static String parent(String p) {
        if (p.equals("/")) return null;
        int i = p.lastIndexOf('/');
        return i == 0 ? "/" : p.substring(0, i);
    }

    private static String name(String p) { return p.substring(p.lastIndexOf('/') + 1); }
}
