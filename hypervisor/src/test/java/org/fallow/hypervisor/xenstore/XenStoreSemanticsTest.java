package org.fallow.hypervisor.xenstore;

import org.fallow.abi.wire.XsSockMsg;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** xenstored's semantics over the wire entry point: transactions, permissions, quotas, DIRECTORY_PART, watches. */
class XenStoreSemanticsTest {
    private final XenStore xs = new XenStore();
    private final XenStoreTest.Conn tool = new XenStoreTest.Conn(0);
    private final XenStoreTest.Conn guest = new XenStoreTest.Conn(5);
    private int reqId = 1;

    /** Sends one message; returns {type, body}. */
    private Object[] ask(XsConnection c, int type, int tx, String body) {
        return ask(c, type, tx, body.getBytes(StandardCharsets.UTF_8));
    }

    private Object[] ask(XsConnection c, int type, int tx, byte[] body) {
        int id = reqId++;
        XsSockMsg r = new XsSockMsg().wrap(xs.handle(c, new XsSockMsg().wrap(XsSockMsg.encode(type, id, tx, body))));
        assertEquals(id, r.reqId(), "req_id echoed");
        assertEquals(tx, r.txId(), "tx_id echoed");
        return new Object[]{r.type(), new String(r.body(), StandardCharsets.UTF_8)};
    }

    private String ok(XsConnection c, int type, int tx, String body) {
        Object[] r = ask(c, type, tx, body);
        assertEquals(type, r[0], () -> XsSockMsg.typeName(type) + " " + body.replace('\0', ' ') + " answered " + r[1]);
        return (String) r[1];
    }

    private String err(XsConnection c, int type, int tx, String body) {
        Object[] r = ask(c, type, tx, body);
        assertEquals(XsSockMsg.XS_ERROR, r[0], () -> XsSockMsg.typeName(type) + " " + body.replace('\0', ' ') + " should fail, got " + r[1]);
        String s = (String) r[1];
        return s.substring(0, s.length() - 1);
    }

    private int start(XsConnection c) {
        String id = ok(c, XsSockMsg.XS_TRANSACTION_START, 0, "\0");
        assertTrue(id.endsWith("\0"));
        return Integer.parseInt(id.substring(0, id.length() - 1));
    }

    @Test
    void aTransactionSeesItsSnapshotAndCommitsAtomically() {
        ok(tool, XsSockMsg.XS_WRITE, 0, "/t/a\0" + "1");
        int t = start(tool);
        assertEquals("1", ok(tool, XsSockMsg.XS_READ, t, "/t/a\0"));
        ok(tool, XsSockMsg.XS_WRITE, t, "/t/a\0" + "2");
        ok(tool, XsSockMsg.XS_WRITE, t, "/t/new\0" + "n");
        assertEquals("2", ok(tool, XsSockMsg.XS_READ, t, "/t/a\0"), "the transaction sees its own write");
        assertEquals("1", ok(tool, XsSockMsg.XS_READ, 0, "/t/a\0"), "others do not, before the commit");
        assertEquals("ENOENT", err(tool, XsSockMsg.XS_READ, 0, "/t/new\0"));
        ok(tool, XsSockMsg.XS_TRANSACTION_END, t, "T\0");
        assertEquals("2", ok(tool, XsSockMsg.XS_READ, 0, "/t/a\0"));
        assertEquals("n", ok(tool, XsSockMsg.XS_READ, 0, "/t/new\0"));
        assertEquals("ENOENT", err(tool, XsSockMsg.XS_READ, t, "/t/a\0"), "the transaction is gone");
    }

    @Test
    void aConflictingCommitIsEagainAndChangesNothing() {
        ok(tool, XsSockMsg.XS_WRITE, 0, "/t/a\0" + "a");
        int t = start(tool);
        ok(tool, XsSockMsg.XS_READ, t, "/t/a\0");
        ok(tool, XsSockMsg.XS_WRITE, 0, "/t/a\0" + "b");
        assertEquals("a", ok(tool, XsSockMsg.XS_READ, t, "/t/a\0"), "snapshot of the node first read");
        ok(tool, XsSockMsg.XS_WRITE, t, "/t/a\0" + "c");
        ok(tool, XsSockMsg.XS_WRITE, t, "/t/other\0" + "x");
        assertEquals("EAGAIN", err(tool, XsSockMsg.XS_TRANSACTION_END, t, "T\0"));
        assertEquals("b", ok(tool, XsSockMsg.XS_READ, 0, "/t/a\0"));
        assertEquals("ENOENT", err(tool, XsSockMsg.XS_READ, 0, "/t/other\0"), "nothing of the failed transaction");
    }

    @Test
    void aNodeCreatedBySomeoneElseConflictsToo() {
        ok(tool, XsSockMsg.XS_MKDIR, 0, "/t\0");
        int t = start(tool);
        assertEquals("ENOENT", err(tool, XsSockMsg.XS_READ, t, "/t/x\0"));
        ok(tool, XsSockMsg.XS_WRITE, 0, "/t/x\0" + "1");
        assertEquals("EAGAIN", err(tool, XsSockMsg.XS_TRANSACTION_END, t, "T\0"));
    }

    @Test
    void abortDiscardsAndBadEndArgumentsAreEinval() {
        int t = start(tool);
        ok(tool, XsSockMsg.XS_WRITE, t, "/t/a\0" + "1");
        assertEquals("EINVAL", err(tool, XsSockMsg.XS_TRANSACTION_END, t, "X\0"));
        ok(tool, XsSockMsg.XS_TRANSACTION_END, t, "F\0");
        assertEquals("ENOENT", err(tool, XsSockMsg.XS_READ, 0, "/t/a\0"));
        assertEquals("ENOENT", err(tool, XsSockMsg.XS_TRANSACTION_END, 4242, "T\0"));
    }

    @Test
    void watchesFireAtCommitNotBefore() {
        ok(tool, XsSockMsg.XS_WATCH, 0, "/t\0tok\0");
        tool.events.clear();
        int t = start(tool);
        ok(tool, XsSockMsg.XS_WRITE, t, "/t/a\0" + "1");
        assertEquals(List.of(), tool.events);
        ok(tool, XsSockMsg.XS_TRANSACTION_END, t, "T\0");
        assertEquals(List.of("/t/a tok"), tool.events);
    }

    @Test
    void newNodesInheritPermsAndAGuestOwnsWhatItCreates() {
        xs.domainIntroduced(5);
        assertEquals("n5\0", ok(tool, XsSockMsg.XS_GET_PERMS, 0, "/local/domain/5\0"));
        ok(tool, XsSockMsg.XS_WRITE, 0, "/local/domain/5/by-tool\0" + "1");
        assertEquals("n5\0", ok(tool, XsSockMsg.XS_GET_PERMS, 0, "/local/domain/5/by-tool\0"), "inherited");
        ok(tool, XsSockMsg.XS_SET_PERMS, 0, "/local/domain/5\0" + "n0\0" + "r5\0");
        ok(guest, XsSockMsg.XS_READ, 0, "by-tool\0");
        assertEquals("EACCES", err(guest, XsSockMsg.XS_WRITE, 0, "new\0" + "x"), "r5 does not allow creating children");
        ok(tool, XsSockMsg.XS_SET_PERMS, 0, "/local/domain/5\0" + "n0\0" + "b5\0");
        ok(guest, XsSockMsg.XS_WRITE, 0, "mine/x\0" + "x");
        assertEquals("b5\0", ok(tool, XsSockMsg.XS_GET_PERMS, 0, "/local/domain/5/mine/x\0").substring(3),
                "owner replaced by the creating domain, ACL kept");
        assertTrue(ok(tool, XsSockMsg.XS_GET_PERMS, 0, "/local/domain/5/mine/x\0").startsWith("n5\0"));
        assertEquals("EPERM", err(guest, XsSockMsg.XS_SET_PERMS, 0, "mine/x\0" + "n0\0"), "no giving away");
        ok(guest, XsSockMsg.XS_SET_PERMS, 0, "mine/x\0" + "n5\0" + "r7\0");
        ok(tool, XsSockMsg.XS_SET_PERMS, 0, "/local/domain/5/by-tool\0" + "n0\0" + "b5\0");
        assertEquals("EACCES", err(guest, XsSockMsg.XS_SET_PERMS, 0, "by-tool\0" + "n5\0"), "only the owner sets perms");
        assertEquals("EINVAL", err(tool, XsSockMsg.XS_SET_PERMS, 0, "/local/domain/5\0" + "x5\0"));
    }

    @Test
    void aMissingNodeIsEaccesUnlessTheClientMayKnow() {
        xs.domainIntroduced(5);
        assertEquals("ENOENT", err(guest, XsSockMsg.XS_READ, 0, "nothing/here\0"));
        assertEquals("EACCES", err(guest, XsSockMsg.XS_READ, 0, "/local/domain/6/x\0"));
        ok(tool, XsSockMsg.XS_RM, 0, "/local/domain/5/not-there\0"); // parent exists: fine
        assertEquals("ENOENT", err(tool, XsSockMsg.XS_RM, 0, "/nope/not-there\0"));
        assertEquals("EINVAL", err(tool, XsSockMsg.XS_RM, 0, "/\0"));
    }

    @Test
    void guestQuotasHaveXenstoredsDefaultsAndErrnos() {
        xs.domainIntroduced(5);
        // node size: 2048 bytes of record (value + perms + children + header)
        assertEquals("ENOSPC", err(guest, XsSockMsg.XS_WRITE, 0, "big\0" + "x".repeat(4000)));
        ok(guest, XsSockMsg.XS_WRITE, 0, "ok\0" + "x".repeat(1900));
        ok(tool, XsSockMsg.XS_WRITE, 0, "/local/domain/5/dom0-big\0" + "x".repeat(4000)); // dom0 is not limited
        // nodes per domain: 1000
        int owned = xs.nodesOwnedBy(5);
        ok(tool, XsSockMsg.XS_CONTROL, 0, "quota\0set\0nodes\0" + (owned + 3) + "\0");
        ok(guest, XsSockMsg.XS_WRITE, 0, "n/a\0" + "1");
        ok(guest, XsSockMsg.XS_WRITE, 0, "n/b\0" + "1");
        assertEquals("ENOSPC", err(guest, XsSockMsg.XS_WRITE, 0, "n/c\0" + "1"));
        assertEquals("ENOSPC", err(guest, XsSockMsg.XS_MKDIR, 0, "n/d\0"));
        // watches per domain: xenstored allows quota + 1
        for (int i = 0; i <= 128; i++) ok(guest, XsSockMsg.XS_WATCH, 0, "w" + i + "\0t\0");
        assertEquals("E2BIG", err(guest, XsSockMsg.XS_WATCH, 0, "w-over\0t\0"));
        // transactions: "started > 10" refused, so 11 may be open
        for (int i = 0; i <= 10; i++) start(guest);
        assertEquals("ENOSPC", err(guest, XsSockMsg.XS_TRANSACTION_START, 0, "\0"));
        // permissions per node: 5 + the owner's entry
        assertEquals("ENOSPC", err(guest, XsSockMsg.XS_SET_PERMS, 0, "ok\0n5\0r1\0r2\0r3\0r4\0r6\0r7\0"));
        // privileged-only messages
        assertEquals("EACCES", err(guest, XsSockMsg.XS_CONTROL, 0, "quota\0"));
        assertEquals("EACCES", err(guest, XsSockMsg.XS_IS_DOMAIN_INTRODUCED, 0, "5\0"));
        assertEquals("EACCES", err(guest, XsSockMsg.XS_INTRODUCE, 0, "5\0" + "1\0" + "1\0"));
    }

    @Test
    void aTransactionAccessingTooManyNodesIsEnospc() {
        xs.domainIntroduced(5);
        ok(tool, XsSockMsg.XS_CONTROL, 0, "quota\0set\0transaction-nodes\0" + "3\0");
        int t = start(guest);
        ok(guest, XsSockMsg.XS_WRITE, t, "a\0" + "1"); // a, its parent
        assertEquals("ENOSPC", err(guest, XsSockMsg.XS_WRITE, t, "b/c/d\0" + "1"));
    }

    @Test
    void anOversizeDirectoryIsE2bigAndComesWholeInParts() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            String n = "child-with-a-long-name-" + i;
            names.add(n);
            ok(tool, XsSockMsg.XS_MKDIR, 0, "/big/" + n + "\0");
        }
        assertEquals("E2BIG", err(tool, XsSockMsg.XS_DIRECTORY, 0, "/big\0"), "never a reply over 4096 bytes");
        // libxenstore's xs_directory_part loop
        StringBuilder all = new StringBuilder();
        String gen = null;
        int off = 0;
        for (int parts = 0; parts < 100; parts++) {
            String r = ok(tool, XsSockMsg.XS_DIRECTORY_PART, 0, "/big\0" + off + "\0");
            assertTrue(r.length() <= XsSockMsg.PAYLOAD_MAX);
            String g = r.substring(0, r.indexOf('\0'));
            if (gen == null) gen = g;
            assertEquals(gen, g, "generation unchanged while the directory is unchanged");
            String chunk = r.substring(r.indexOf('\0') + 1);
            all.append(chunk);
            off += chunk.length();
            if (chunk.length() <= 1 || chunk.endsWith("\0\0")) break;
        }
        String joined = all.toString();
        assertTrue(joined.endsWith("\0\0"), "the last part ends with an empty string");
        assertEquals(names, List.of(joined.substring(0, joined.length() - 2).split("\0")), "creation order, complete");
        ok(tool, XsSockMsg.XS_MKDIR, 0, "/big/one-more\0");
        String after = ok(tool, XsSockMsg.XS_DIRECTORY_PART, 0, "/big\0" + "0\0");
        assertNotEquals(gen, after.substring(0, after.indexOf('\0')), "a change is seen in the generation");
    }

    @Test
    void relativeWatchesAreAnsweredRelativeAndOnlyReadableNodesFire() {
        xs.domainIntroduced(5);
        ok(guest, XsSockMsg.XS_WATCH, 0, "memory\0m\0");
        assertEquals(List.of("memory m"), guest.events, "initial event with the path as given");
        ok(tool, XsSockMsg.XS_WRITE, 0, "/local/domain/5/memory/target\0" + "1024");
        assertEquals("memory/target m", guest.events.get(1));
        ok(guest, XsSockMsg.XS_WATCH, 0, "/local/domain\0abs\0");
        guest.events.clear();
        ok(tool, XsSockMsg.XS_WRITE, 0, "/local/domain/6/secret\0" + "1");
        assertEquals(List.of(), guest.events, "a node the guest may not read does not fire its watch");
        assertEquals("EEXIST", err(guest, XsSockMsg.XS_WATCH, 0, "memory\0m\0"));
        ok(guest, XsSockMsg.XS_UNWATCH, 0, "memory\0m\0");
        assertEquals("ENOENT", err(guest, XsSockMsg.XS_UNWATCH, 0, "memory\0m\0"));
        ok(guest, XsSockMsg.XS_RESET_WATCHES, 0, "\0");
        assertEquals("ENOENT", err(guest, XsSockMsg.XS_UNWATCH, 0, "/local/domain\0abs\0"), "reset removed it");
    }

    @Test
    void specialWatchesAndDomainMessages() {
        ok(tool, XsSockMsg.XS_WATCH, 0, "@introduceDomain\0i\0");
        ok(tool, XsSockMsg.XS_WATCH, 0, "@releaseDomain\0r\0");
        ok(guest, XsSockMsg.XS_WATCH, 0, "@releaseDomain\0g\0");
        tool.events.clear();
        guest.events.clear();
        assertEquals("F\0", ok(tool, XsSockMsg.XS_IS_DOMAIN_INTRODUCED, 0, "7\0"));
        ok(tool, XsSockMsg.XS_INTRODUCE, 0, "7\0" + "4096\0" + "3\0");
        assertEquals("T\0", ok(tool, XsSockMsg.XS_IS_DOMAIN_INTRODUCED, 0, "7\0"));
        assertEquals("T\0", ok(tool, XsSockMsg.XS_IS_DOMAIN_INTRODUCED, 0, "0\0"), "dom0 always");
        assertEquals("/local/domain/7\0", ok(tool, XsSockMsg.XS_GET_DOMAIN_PATH, 0, "7\0"));
        assertEquals("/local/domain/7\0", ok(guest, XsSockMsg.XS_GET_DOMAIN_PATH, 0, "7\0"), "anyone may ask");
        assertEquals("EINVAL", err(tool, XsSockMsg.XS_GET_DOMAIN_PATH, 0, "seven\0"));
        ok(tool, XsSockMsg.XS_RESUME, 0, "7\0");
        ok(tool, XsSockMsg.XS_RELEASE, 0, "7\0");
        assertEquals("ENOENT", err(tool, XsSockMsg.XS_RELEASE, 0, "7\0"));
        assertEquals("EINVAL", err(tool, XsSockMsg.XS_RELEASE, 0, "0\0"));
        assertEquals(List.of("@introduceDomain i", "@releaseDomain r"), tool.events);
        assertEquals(List.of(), guest.events, "@releaseDomain is dom0's (perms n0) unless dom0 shares it");
        ok(tool, XsSockMsg.XS_SET_PERMS, 0, "@releaseDomain\0n0\0r5\0");
        xs.domainIntroduced(8);
        xs.domainReleased(8);
        assertEquals(List.of("@releaseDomain g"), guest.events);
    }

    @Test
    void controlAnswersLikeXenstored() {
        assertTrue(ok(tool, XsSockMsg.XS_CONTROL, 0, "quota\0").startsWith("Quota settings:\nnodes            :     1000 Nodes per domain\n"));
        assertEquals("OK\0", ok(tool, XsSockMsg.XS_CONTROL, 0, "log\0on\0"));
        assertEquals("OK\0", ok(tool, XsSockMsg.XS_CONTROL, 0, "log\0off\0"));
        assertEquals("OK\0", ok(tool, XsSockMsg.XS_CONTROL, 0, "check\0"));
        assertEquals("EINVAL", err(tool, XsSockMsg.XS_CONTROL, 0, "log\0sideways\0"));
        assertEquals("EINVAL", err(tool, XsSockMsg.XS_CONTROL, 0, "no-such-command\0"));
        assertEquals("EINVAL", err(tool, XsSockMsg.XS_CONTROL, 0, "quota\0set\0no-such-quota\0" + "1\0"));
        assertTrue(ok(tool, XsSockMsg.XS_CONTROL, 0, "quota\0" + "0\0").startsWith("Domain 0:\n"));
    }

    @Test
    void malformedBodiesAreEinval() {
        assertEquals("EINVAL", err(tool, XsSockMsg.XS_READ, 0, "/a"), "not NUL-terminated");
        assertEquals("EINVAL", err(tool, XsSockMsg.XS_READ, 0, "/a\0/b\0"), "two arguments");
        assertEquals("EINVAL", err(tool, XsSockMsg.XS_WATCH, 0, "/a\0"), "no token");
        assertEquals("EINVAL", err(tool, XsSockMsg.XS_WRITE, 0, "/a"), "no NUL after the path");
        assertEquals("EINVAL", err(tool, XsSockMsg.XS_READ, 0, "/" + "a".repeat(XenStore.ABS_PATH_MAX) + "\0"));
    }
}
