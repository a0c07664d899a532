package org.fallow.conformance.cases;

import org.fallow.conformance.Guest;
import org.fallow.conformance.RawConnection;
import org.fallow.conformance.Toolstack;
import org.fallow.conformance.Wire;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.fallow.abi.wire.XsSockMsg;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * PROTOCOL §6.2: {@code <run-dir>/xenstored.sock}, xenstored's own protocol (raw xsd_sockmsg, no Fallow framing) for
 * dom0 tools; one case per message type, plus the guest quotas over XENSTORE frames (§6).
 */
@DisplayName("xenstored.sock (PROTOCOL §6.2)")
class XenstoredSocketConformance extends CaseSupport {
    static final int XS_CONTROL = XsSockMsg.XS_CONTROL, XS_DIRECTORY = XsSockMsg.XS_DIRECTORY, XS_READ = XsSockMsg.XS_READ, XS_GET_PERMS = XsSockMsg.XS_GET_PERMS, XS_WATCH = XsSockMsg.XS_WATCH, XS_UNWATCH = XsSockMsg.XS_UNWATCH,
            XS_TRANSACTION_START = XsSockMsg.XS_TRANSACTION_START, XS_TRANSACTION_END = XsSockMsg.XS_TRANSACTION_END, XS_INTRODUCE = XsSockMsg.XS_INTRODUCE, XS_RELEASE = XsSockMsg.XS_RELEASE, XS_GET_DOMAIN_PATH = XsSockMsg.XS_GET_DOMAIN_PATH,
            XS_WRITE = XsSockMsg.XS_WRITE, XS_MKDIR = XsSockMsg.XS_MKDIR, XS_RM = XsSockMsg.XS_RM, XS_SET_PERMS = XsSockMsg.XS_SET_PERMS, XS_WATCH_EVENT = XsSockMsg.XS_WATCH_EVENT, XS_ERROR = XsSockMsg.XS_ERROR,
            XS_IS_DOMAIN_INTRODUCED = XsSockMsg.XS_IS_DOMAIN_INTRODUCED, XS_RESUME = XsSockMsg.XS_RESUME, XS_SET_TARGET = XsSockMsg.XS_SET_TARGET, XS_RESET_WATCHES = XsSockMsg.XS_RESET_WATCHES,
            XS_DIRECTORY_PART = XsSockMsg.XS_DIRECTORY_PART;

    record Msg(int type, int reqId, int txId, String body) {}

    /** One raw connection to xenstored.sock. */
    static final class Xsd implements AutoCloseable {
        final RawConnection c;
        /** The toolstack this connection opened for itself ({@link #open}), closed with it; else null. */
        private final Toolstack own;
        int nextReq = 1;

        Xsd(Toolstack ts) throws IOException { this(ts, null); }

        private Xsd(Toolstack ts, Toolstack own) throws IOException {
            this.own = own;
            c = RawConnection.open(ts.runDir(target()).resolve(org.fallow.abi.wire.RunDirectory.XENSTORED_SOCKET_NAME));
        }

        /** A toolstack connection (to learn the run directory) and xenstored.sock; closing closes both. */
        static Xsd open() throws IOException {
            Toolstack ts = Toolstack.connect(target());
            try {
                return new Xsd(ts, ts);
            } catch (IOException | RuntimeException e) {
                ts.close();
                throw e;
            }
        }

        Msg next() throws IOException {
            XsSockMsg h = new XsSockMsg().wrap(c.readBytes(XsSockMsg.HEADER_LENGTH));
            long len = h.length();
            assertTrue(len <= XsSockMsg.PAYLOAD_MAX, "reply body of " + len + " bytes (XENSTORE_PAYLOAD_MAX 4096)");
            return new Msg(h.type(), h.reqId(), h.txId(), new String(c.readBytes((int) len), StandardCharsets.ISO_8859_1));
        }

        /** Sends a request; returns its reply (watch events that arrive first are kept in {@code events}). */
        Msg ask(int type, int txId, String body, List<Msg> events) throws IOException {
            int id = nextReq++;
            c.write(XenstoreConformance.msg(type, id, txId, body));
            while (true) {
                Msg m = next();
                if (m.type() == XS_WATCH_EVENT) {
                    events.add(m);
                    continue;
                }
                assertEquals(id, m.reqId(), "req_id echoed");
                assertEquals(txId, m.txId(), "tx_id echoed");
                return m;
            }
        }

        Msg ask(int type, int txId, String body) throws IOException { return ask(type, txId, body, new ArrayList<>()); }

        String ok(int type, int txId, String body) throws IOException {
            Msg m = ask(type, txId, body);
            assertEquals(type, m.type(), () -> "reply type of " + type + " '" + body.replace('\0', ' ') + "': " + m);
            return m.body();
        }

        String err(int type, int txId, String body) throws IOException {
            Msg m = ask(type, txId, body);
            assertEquals(XS_ERROR, m.type(), () -> "expected XS_ERROR for " + type + " '" + body.replace('\0', ' ') + "', got " + m);
            assertTrue(m.body().endsWith("\0"));
            return m.body().substring(0, m.body().length() - 1);
        }

        /** TRANSACTION_START: the id, a decimal number other than 0. */
        int start() throws IOException {
            String id = ok(XS_TRANSACTION_START, 0, "\0");
            assertTrue(id.matches("[1-9][0-9]*\0"), id);
            return Integer.parseUnsignedInt(id.substring(0, id.length() - 1));
        }

        @Override public void close() throws IOException {
            try {
                c.close();
            } finally {
                if (own != null) own.close();
            }
        }
    }

    private static String base() { return "/conf-" + ProcessHandle.current().pid() + "-" + System.nanoTime(); }

    @Test @DisplayName("WRITE then READ: exact header (type, req_id, tx_id, len) and value without NUL")
    void writeRead() throws Exception {
        try (Xsd x = Xsd.open()) {
            String p = base() + "/k";
            x.c.write(XenstoreConformance.msg(XS_WRITE, 0x01020304, 0, p + "\0hello"));
            byte[] h = x.c.readBytes(16);
            assertArrayEquals(new byte[]{11, 0, 0, 0, 4, 3, 2, 1, 0, 0, 0, 0, 3, 0, 0, 0}, h);
            assertArrayEquals("OK\0".getBytes(StandardCharsets.US_ASCII), x.c.readBytes(3));
            assertEquals("hello", x.ok(XS_READ, 0, p + "\0"));
            assertEquals("", x.ok(XS_READ, 0, p.substring(0, p.lastIndexOf('/')) + "\0"), "parents are created empty");
            assertEquals("ENOENT", x.err(XS_READ, 0, p + "/none\0"));
            assertEquals("EINVAL", x.err(XS_READ, 0, p + "//bad\0"));
        }
    }

    @Test @DisplayName("MKDIR creates an empty node and is fine if it exists")
    void mkdir() throws Exception {
        try (Xsd x = Xsd.open()) {
            String p = base() + "/d";
            assertEquals("OK\0", x.ok(XS_MKDIR, 0, p + "\0"));
            x.ok(XS_WRITE, 0, p + "\0v");
            assertEquals("OK\0", x.ok(XS_MKDIR, 0, p + "\0"));
            assertEquals("v", x.ok(XS_READ, 0, p + "\0"), "an existing node keeps its value");
        }
    }

    @Test @DisplayName("RM removes a subtree; a missing node under an existing parent is OK, else ENOENT")
    void rm() throws Exception {
        try (Xsd x = Xsd.open()) {
            String b = base();
            x.ok(XS_WRITE, 0, b + "/a/b/c\0" + "1");
            assertEquals("OK\0", x.ok(XS_RM, 0, b + "/a\0"));
            assertEquals("ENOENT", x.err(XS_READ, 0, b + "/a/b/c\0"));
            assertEquals("", x.ok(XS_DIRECTORY, 0, b + "\0"));
            assertEquals("OK\0", x.ok(XS_RM, 0, b + "/a\0"), "parent exists");
            assertEquals("ENOENT", x.err(XS_RM, 0, b + "/no/such\0"));
        }
    }

    @Test @DisplayName("DIRECTORY lists children in creation order; an oversize listing is E2BIG, never a reply > 4096")
    void directory() throws Exception {
        try (Xsd x = Xsd.open()) {
            String b = base();
            x.ok(XS_MKDIR, 0, b + "/z\0");
            x.ok(XS_MKDIR, 0, b + "/a\0");
            assertEquals("z\0a\0", x.ok(XS_DIRECTORY, 0, b + "\0"));
            for (int i = 0; i < 200; i++) x.ok(XS_MKDIR, 0, b + "/big/a-long-child-name-number-" + i + "\0");
            assertEquals("E2BIG", x.err(XS_DIRECTORY, 0, b + "/big\0"));
        }
    }

    @Test @DisplayName("DIRECTORY_PART: generation, byte offsets, the last part ends with an empty string")
    void directoryPart() throws Exception {
        try (Xsd x = Xsd.open()) {
            String b = base();
            List<String> names = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                names.add("a-long-child-name-number-" + i);
                x.ok(XS_MKDIR, 0, b + "/" + names.get(i) + "\0");
            }
            StringBuilder all = new StringBuilder();
            String gen = null;
            for (int off = 0, parts = 0; parts < 50; parts++) {
                String r = x.ok(XS_DIRECTORY_PART, 0, b + "\0" + off + "\0");
                String g = r.substring(0, r.indexOf('\0'));
                assertTrue(g.chars().allMatch(Character::isDigit), "generation is decimal: " + g);
                if (gen == null) gen = g;
                assertEquals(gen, g);
                String chunk = r.substring(g.length() + 1);
                all.append(chunk);
                off += chunk.length();
                if (chunk.length() <= 1 || chunk.endsWith("\0\0")) break;
            }
            assertTrue(all.toString().endsWith("\0\0"));
            assertEquals(names, List.of(all.substring(0, all.length() - 2).split("\0")));
        }
    }

    @Test @DisplayName("GET_PERMS / SET_PERMS: letter+domid strings, owner first, EINVAL on a bad entry")
    void perms() throws Exception {
        try (Xsd x = Xsd.open()) {
            String p = base() + "/p";
            x.ok(XS_WRITE, 0, p + "\0v");
            assertEquals("n0\0", x.ok(XS_GET_PERMS, 0, p + "\0"), "inherited from / (n0)");
            assertEquals("OK\0", x.ok(XS_SET_PERMS, 0, p + "\0n0\0r5\0b7\0"));
            assertEquals("n0\0r5\0b7\0", x.ok(XS_GET_PERMS, 0, p + "\0"));
            x.ok(XS_WRITE, 0, p + "/child\0v");
            assertEquals("n0\0r5\0b7\0", x.ok(XS_GET_PERMS, 0, p + "/child\0"), "children inherit");
            assertEquals("EINVAL", x.err(XS_SET_PERMS, 0, p + "\0q5\0"));
            assertEquals("ENOENT", x.err(XS_GET_PERMS, 0, p + "/none\0"));
        }
    }

    @Test @DisplayName("WATCH: ack, then the initial event (req_id 0); events for writes below; UNWATCH; EEXIST")
    void watchUnwatch() throws Exception {
        try (Xsd x = Xsd.open()) {
            String p = base() + "/w";
            List<Msg> ev = new ArrayList<>();
            Msg ack = x.ask(XS_WATCH, 0, p + "\0tok\0", ev);
            assertEquals(XS_WATCH, ack.type());
            assertEquals(List.of(), ev, "the ack comes before the initial event");
            Msg first = x.next();
            assertEquals(new Msg(XS_WATCH_EVENT, 0, 0, p + "\0tok\0"), first);
            assertEquals("EEXIST", x.err(XS_WATCH, 0, p + "\0tok\0"));
            x.ask(XS_WRITE, 0, p + "/x\0" + "1", ev);
            if (ev.isEmpty()) ev.add(x.next());
            assertEquals(p + "/x\0tok\0", ev.get(0).body());
            assertEquals("OK\0", x.ok(XS_UNWATCH, 0, p + "\0tok\0"));
            assertEquals("ENOENT", x.err(XS_UNWATCH, 0, p + "\0tok\0"));
        }
    }

    @Test @DisplayName("TRANSACTION_START/END: isolation until commit, EAGAIN on conflict, F aborts, ENOENT after end")
    void transactions() throws Exception {
        try (Xsd x = Xsd.open()) {
            String p = base() + "/t";
            x.ok(XS_WRITE, 0, p + "\0a");
            int t = x.start();
            assertEquals("a", x.ok(XS_READ, t, p + "\0"));
            x.ok(XS_WRITE, t, p + "\0b");
            assertEquals("a", x.ok(XS_READ, 0, p + "\0"), "not visible outside before the commit");
            assertEquals("OK\0", x.ok(XS_TRANSACTION_END, t, "T\0"));
            assertEquals("b", x.ok(XS_READ, 0, p + "\0"));
            assertEquals("ENOENT", x.err(XS_READ, t, p + "\0"), "ended");

            int t2 = x.start();
            x.ok(XS_READ, t2, p + "\0");
            x.ok(XS_WRITE, 0, p + "\0c");
            x.ok(XS_WRITE, t2, p + "\0d");
            assertEquals("EAGAIN", x.err(XS_TRANSACTION_END, t2, "T\0"));
            assertEquals("c", x.ok(XS_READ, 0, p + "\0"));

            int t3 = x.start();
            x.ok(XS_WRITE, t3, p + "\0e");
            assertEquals("OK\0", x.ok(XS_TRANSACTION_END, t3, "F\0"));
            assertEquals("c", x.ok(XS_READ, 0, p + "\0"), "aborted");
        }
    }

    @Test @DisplayName("GET_DOMAIN_PATH: /local/domain/<domid>; EINVAL for a non-number")
    void domainPath() throws Exception {
        try (Xsd x = Xsd.open()) {
            assertEquals("/local/domain/3\0", x.ok(XS_GET_DOMAIN_PATH, 0, "3\0"));
            assertEquals("EINVAL", x.err(XS_GET_DOMAIN_PATH, 0, "three\0"));
        }
    }

    @Test @DisplayName("IS_DOMAIN_INTRODUCED: T for dom0 and a created domain, F for an unknown one")
    void isIntroduced() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 16, 2); Xsd x = new Xsd(ts)) {
            assertEquals("T\0", x.ok(XS_IS_DOMAIN_INTRODUCED, 0, "0\0"));
            assertEquals("T\0", x.ok(XS_IS_DOMAIN_INTRODUCED, 0, g.domid() + "\0"));
            assertEquals("F\0", x.ok(XS_IS_DOMAIN_INTRODUCED, 0, "32000\0"));
            assertEquals("n" + g.domid() + "\0", x.ok(XS_GET_PERMS, 0, "/local/domain/" + g.domid() + "\0"),
                    "a created domain owns its home");
        }
    }

    @Test @DisplayName("INTRODUCE/RELEASE/RESUME/SET_TARGET and @introduceDomain/@releaseDomain events")
    void introduceRelease() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 16, 2); Xsd x = new Xsd(ts)) {
            int d = g.domid();
            x.ok(XS_WATCH, 0, "@releaseDomain\0rel\0");
            assertEquals("@releaseDomain\0rel\0", x.next().body());
            x.ok(XS_WATCH, 0, "@introduceDomain\0intro\0");
            assertEquals("@introduceDomain\0intro\0", x.next().body());
            assertEquals("OK\0", x.ok(XS_RESUME, 0, d + "\0"));
            assertEquals("OK\0", x.ok(XS_SET_TARGET, 0, d + "\0" + d + "\0"));
            List<Msg> ev = new ArrayList<>();
            assertEquals(XS_RELEASE, x.ask(XS_RELEASE, 0, d + "\0", ev).type());
            if (ev.isEmpty()) ev.add(x.next());
            assertEquals("@releaseDomain\0rel\0", ev.get(0).body());
            assertEquals("F\0", x.ok(XS_IS_DOMAIN_INTRODUCED, 0, d + "\0"));
            assertEquals("ENOENT", x.err(XS_RELEASE, 0, d + "\0"));
            ev.clear();
            assertEquals(XS_INTRODUCE, x.ask(XS_INTRODUCE, 0, d + "\0" + "1234\0" + "5\0", ev).type());
            if (ev.isEmpty()) ev.add(x.next());
            assertEquals("@introduceDomain\0intro\0", ev.get(0).body());
            assertEquals("T\0", x.ok(XS_IS_DOMAIN_INTRODUCED, 0, d + "\0"));
            assertEquals("EINVAL", x.err(XS_INTRODUCE, 0, "32000\0" + "1\0" + "1\0"), "no such domain");
            assertEquals("EINVAL", x.err(XS_INTRODUCE, 0, d + "\0"), "three arguments");
        }
    }

    @Test @DisplayName("RESET_WATCHES removes every watch of the connection")
    void resetWatches() throws Exception {
        try (Xsd x = Xsd.open()) {
            String p = base();
            x.ok(XS_WATCH, 0, p + "\0a\0");
            x.next();
            assertEquals("OK\0", x.ok(XS_RESET_WATCHES, 0, "\0"));
            assertEquals("ENOENT", x.err(XS_UNWATCH, 0, p + "\0a\0"));
            List<Msg> ev = new ArrayList<>();
            assertEquals(XS_WRITE, x.ask(XS_WRITE, 0, p + "/x\0" + "1", ev).type());
            assertEquals(XS_READ, x.ask(XS_READ, 0, p + "/x\0", ev).type());
            assertEquals(List.of(), ev, "no watch event for the write");
        }
    }

    @Test @DisplayName("CONTROL: quota listing as xenstored, quota DOMID, log on|off, EINVAL for unknown commands")
    void control() throws Exception {
        try (Xsd x = Xsd.open()) {
            String q = x.ok(XS_CONTROL, 0, "quota\0");
            assertTrue(q.startsWith("Quota settings:\n"), q);
            assertTrue(q.contains("nodes            :     1000 Nodes per domain\n"), q);
            assertTrue(q.contains("node-size        :     2048 Max. size of a node\n"), q);
            assertTrue(x.ok(XS_CONTROL, 0, "quota\0" + "0\0").startsWith("Domain 0:\n"));
            assertEquals("OK\0", x.ok(XS_CONTROL, 0, "log\0on\0"));
            assertEquals("OK\0", x.ok(XS_CONTROL, 0, "log\0off\0"));
            assertEquals("EINVAL", x.err(XS_CONTROL, 0, "frobnicate\0"));
        }
    }

    @Test @DisplayName("a header announcing more than 4096 body bytes closes the connection")
    void oversizeCloses() throws Exception {
        try (Xsd x = Xsd.open()) {
            byte[] header = XsSockMsg.encode(XS_WRITE, 1, 0, new byte[0]);
            new XsSockMsg().wrap(header).length(XsSockMsg.PAYLOAD_MAX + 1);
            x.c.write(header);
            assertThrows(EOFException.class, x::next);
        }
    }

    @Test @DisplayName("a guest's quotas (XENSTORE frames): node size and node count ENOSPC, watches E2BIG")
    void guestQuotas() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 16, 2).connect(target(), Wire.PROFILE_412);
             Xsd x = new Xsd(ts)) {
            RawConnection gc = g.connection();
            long id = 500;
            XenstoreConformance.Xs big = XenstoreConformance.ask(gc, id++, XS_WRITE, 1, 0, "big\0" + "x".repeat(4000));
            assertEquals(XS_ERROR, big.type());
            assertEquals("ENOSPC\0", big.body(), "node-size quota 2048");
            String usage = x.ok(XS_CONTROL, 0, "quota\0" + g.domid() + "\0");
            int owned = Integer.parseInt(usage.lines().filter(l -> l.startsWith("nodes")).findFirst().orElseThrow().replaceAll("\\D", ""));
            assertTrue(owned >= 1, usage);
            x.ok(XS_CONTROL, 0, "quota\0set\0nodes\0" + (owned + 2) + "\0");
            try {
                assertEquals("OK\0", XenstoreConformance.ask(gc, id++, XS_WRITE, 2, 0, "q/a\0" + "1").body());
                XenstoreConformance.Xs over = XenstoreConformance.ask(gc, id++, XS_WRITE, 3, 0, "q/b/c\0" + "1");
                assertEquals("ENOSPC\0", over.body(), "nodes quota");
            } finally {
                x.ok(XS_CONTROL, 0, "quota\0set\0nodes\0" + "1000\0");
            }
            int watches = 0;
            XenstoreConformance.Xs w;
            do {
                gc.send(Wire.XENSTORE, id, XenstoreConformance.msg(XS_WATCH, 10, 0, "w" + watches + "\0t\0"));
                do w = XenstoreConformance.read(gc); while (w.frameId() == 0);
                assertEquals(id++, w.frameId());
                watches++;
            } while (w.type() == XS_WATCH && watches < 1000);
            assertEquals("E2BIG\0", w.body(), "watches quota");
            assertEquals(130, watches, "128 watches + the one xenstored's '>' check lets through, then E2BIG");
        }
    }

    @Test @DisplayName("a guest that does not read its watch events is closed once 1 MiB is unread; the store keeps serving")
    void unreadWatchEventsAreBounded() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 16, 2).connect(target(), Wire.PROFILE_412);
             Xsd x = new Xsd(ts)) {
            RawConnection gc = g.connection();
            String token = "t".repeat(3000);
            XenstoreConformance.Xs ack = XenstoreConformance.ask(gc, 900, XS_WATCH, 1, 0, "flood\0" + token + "\0");
            assertEquals(XS_WATCH, ack.type());
            String p = "/local/domain/" + g.domid() + "/flood/x";
            // ~3 KiB per event; 1000 events are far more than the socket buffers plus the 1 MiB bound
            for (int i = 0; i < 1000; i++) x.ok(XS_WRITE, 0, p + "\0" + i);
            int frames = 0;
            boolean closed = false;
            while (frames < 2000) {
                try {
                    gc.read();
                    frames++;
                } catch (EOFException e) {
                    closed = true;
                    break;
                }
            }
            assertTrue(closed, "the guest's connection was closed after " + frames + " frames");
            assertTrue(frames < 1001, frames + " events were queued for a client that did not read");
            assertEquals("999", x.ok(XS_READ, 0, p + "\0"), "the store is unharmed");
        }
    }
}
