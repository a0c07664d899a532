package org.fallow.hypervisor.xenstore;

import org.fallow.abi.wire.XsSockMsg;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class XenStoreTest {
    static final class Conn implements XsConnection {
        final int domid;
        final List<String> events = new ArrayList<>();

        Conn(int domid) { this.domid = domid; }

        @Override public int domid() { return domid; }
        @Override public boolean privileged() { return domid == 0; }
        @Override public void watchEvent(String path, String token) { events.add(path + " " + token); }
        @Override public String describe() { return "d" + domid; }
    }

    private final XenStore xs = new XenStore();
    private final Conn tool = new Conn(0);
    private final Conn guest = new Conn(5);

    @Test
    void writeCreatesParentsAndReadDirectoryRm() throws XsError {
        xs.domainIntroduced(5);
        xs.write(tool, "/local/domain/5/memory/target", "262144".getBytes());
        assertEquals("262144", new String(xs.read(guest, "memory/target")), "relative to the guest's home");
        assertEquals(List.of("memory"), xs.directory(tool, "/local/domain/5"));
        assertArrayEquals(new byte[0], xs.read(tool, "/local/domain"));
        xs.rm(tool, "/local/domain/5");
        XsError e = assertThrows(XsError.class, () -> xs.read(tool, "/local/domain/5/memory/target"));
        assertEquals("ENOENT", e.errnoName());
        assertEquals(List.of(), xs.directory(tool, "/local/domain"));
    }

    @Test
    void guestsOnlyReachTheirOwnSubtree() throws XsError {
        xs.domainIntroduced(5);
        xs.write(tool, "/local/domain/6/secret", "x".getBytes());
        assertEquals("EACCES", assertThrows(XsError.class, () -> xs.read(guest, "/local/domain/6/secret")).errnoName());
        assertEquals("EACCES", assertThrows(XsError.class, () -> xs.write(guest, "/tool/x", new byte[0])).errnoName());
        assertEquals("EACCES", assertThrows(XsError.class, () -> xs.read(guest, "/local/domain/50/x")).errnoName(),
                "a prefix match on the domid is not enough");
        xs.write(guest, "/local/domain/5/data/x", "1".getBytes());
        assertEquals("1", new String(xs.read(tool, "/local/domain/5/data/x")));
    }

    @Test
    void badPathsAreEinval() {
        assertEquals("EINVAL", assertThrows(XsError.class, () -> xs.write(tool, "/a//b", new byte[0])).errnoName());
        assertEquals("EINVAL", assertThrows(XsError.class, () -> xs.write(tool, "/a/", new byte[0])).errnoName());
        assertEquals("EINVAL", assertThrows(XsError.class, () -> xs.write(tool, "/a b", new byte[0])).errnoName());
    }

    @Test
    void watchesFireOnRegistrationAndOnChangesBelowThem() throws XsError {
        xs.watch(tool, "/local/domain/5/memory", "tok");
        assertEquals(List.of("/local/domain/5/memory tok"), tool.events, "fires once when registered");
        xs.write(tool, "/local/domain/5/memory/target-tot_pages", "1024".getBytes());
        xs.write(tool, "/local/domain/5/other", "1".getBytes());
        assertEquals("/local/domain/5/memory/target-tot_pages tok", tool.events.get(1));
        assertEquals(2, tool.events.size(), "a sibling change does not fire");
        xs.rm(tool, "/local/domain/5");
        assertEquals("/local/domain/5/memory tok", tool.events.get(2), "removing an ancestor fires the watch");
        xs.unwatch(tool, "/local/domain/5/memory", "tok");
        xs.write(tool, "/local/domain/5/memory/x", "1".getBytes());
        assertEquals(3, tool.events.size());
        assertEquals("ENOENT", assertThrows(XsError.class, () -> xs.unwatch(tool, "/local/domain/5/memory", "tok")).errnoName());
    }

    @Test
    void releasingADomainRemovesItsSubtreeAndFiresReleaseDomain() throws XsError {
        xs.write(tool, "/local/domain/5/memory/target", "1".getBytes());
        xs.watch(guest, "memory", "g");
        xs.watch(tool, "@releaseDomain", "rel");
        tool.events.clear();
        xs.domainReleased(5);
        assertEquals(List.of("@releaseDomain rel"), tool.events);
        assertEquals(List.of(), xs.directory(tool, "/local/domain"));
        assertEquals(1, xs.watchCount(), "the dead guest's watches are gone");
    }

    @Test
    void wireMessagesRoundTrip() {
        byte[] w = xs.handle(tool, new XsSockMsg().wrap(XsSockMsg.encode(XsSockMsg.XS_WRITE, 7, 0, "/a\0hello".getBytes())));
        XsSockMsg r = new XsSockMsg().wrap(w);
        assertEquals(XsSockMsg.XS_WRITE, r.type());
        assertEquals(7, r.reqId());
        assertEquals("OK\0", new String(r.body()));
        XsSockMsg rd = new XsSockMsg().wrap(xs.handle(tool, new XsSockMsg().wrap(XsSockMsg.encode(XsSockMsg.XS_READ, 8, 0, "/a\0".getBytes()))));
        assertEquals("hello", new String(rd.body()), "read replies carry the value without a NUL");
        XsSockMsg err = new XsSockMsg().wrap(xs.handle(guest, new XsSockMsg().wrap(XsSockMsg.encode(XsSockMsg.XS_READ, 9, 0, "/a\0".getBytes()))));
        assertEquals(XsSockMsg.XS_ERROR, err.type());
        assertEquals(9, err.reqId());
        assertEquals("EACCES\0", new String(err.body()));
        XsSockMsg big = new XsSockMsg().wrap(xs.handle(tool, new XsSockMsg().wrap(XsSockMsg.encode(XsSockMsg.XS_WRITE, 11, 0, new byte[4097]))));
        assertEquals("E2BIG\0", new String(big.body()));
        XsSockMsg tx = new XsSockMsg().wrap(xs.handle(tool, new XsSockMsg().wrap(XsSockMsg.encode(XsSockMsg.XS_READ, 12, 3, "/a\0".getBytes()))));
        assertEquals("ENOENT\0", new String(tx.body()), "an unknown transaction");
        XsSockMsg unk = new XsSockMsg().wrap(xs.handle(tool, new XsSockMsg().wrap(XsSockMsg.encode(99, 10, 0, new byte[0]))));
        assertEquals("ENOSYS\0", new String(unk.body()));
    }
}
