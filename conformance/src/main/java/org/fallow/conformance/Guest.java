package org.fallow.conformance;

import org.fallow.abi.wire.P2mHeader;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;

/**
 * A guest domain for the cases: built by a {@link Toolstack} (createdomain, max_mem, populate_physmap of the first
 * {@code populated} gfns, unpause), then connected as role 2 with its domain handle as the secret, with its
 * {@code dom<D>.mem} and {@code dom<D>.p2m} mapped (PROTOCOL §3.2/§3.3). Its handles are guest-physical addresses.
 */
public final class Guest implements AutoCloseable {
    public static final int PAGE = 4096;

    private final Toolstack ts;
    private final int domid;
    private final byte[] handle;
    private RawConnection conn;
    private MappedFile mem;
    private MappedFile p2m;
    private RawFrame ack;
    private long nextId = 1;

    private Guest(Toolstack ts, int domid, byte[] handle) {
        this.ts = ts;
        this.domid = domid;
        this.handle = handle;
    }

    /** Creates a domain of {@code frames} gfns with gfns [0, populated) RAM; does not connect. */
    public static Guest create(Toolstack ts, int frames, int populated) throws IOException {
        return create(ts, frames, populated, org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_CDF_hvm
                | org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_CDF_hap);
    }

    /** As {@link #create(Toolstack, int, int)} with createdomain's {@code XEN_DOMCTL_CDF_*} {@code flags}. */
    public static Guest create(Toolstack ts, int frames, int populated, int flags) throws IOException {
        byte[] h = new byte[16];
        ThreadLocalRandom.current().nextBytes(h);
        int domid = ts.createDomain(h, flags);
        Guest g = new Guest(ts, domid, h);
        long rc = ts.maxMem(domid, frames * 4L);
        if (rc != 0) throw new IOException("max_mem(d" + domid + ") returned " + rc);
        if (populated > 0) {
            long done = ts.populate(domid, 0, populated);
            if (done != populated) throw new IOException("populate_physmap(d" + domid + ") did " + done + " of " + populated);
        }
        ts.unpause(domid);
        return g;
    }

    /** Connects as the guest (profile 4.12 or 2009) and maps its memory files from {@code runDir}. */
    public Guest connect(Target t, int profile) throws IOException {
        conn = RawConnection.open(t.socket());
        conn.send(Wire.HELLO, nextId++, Wire.hello(Wire.ROLE_GUEST, profile, domid, handle, 0, 0, null));
        ack = conn.read();
        if (ack.type() != Wire.HELLO_ACK || ack.status() != 0) throw new IOException("guest HELLO refused: " + ack);
        Path dir = ts.runDir(t);
        mem = MappedFile.open(dir.resolve("dom" + domid + ".mem"));
        p2m = MappedFile.open(dir.resolve("dom" + domid + ".p2m"));
        return this;
    }

    public int domid() { return domid; }
    public byte[] handle() { return handle.clone(); }
    public RawConnection connection() { return conn; }
    public RawFrame helloAck() { return ack; }
    public MemorySegment mem() { return mem.segment(); }
    public MemorySegment p2m() { return p2m.segment(); }

    /** The guest-physical address (= handle) of byte {@code off} of gfn {@code gfn}. */
    public static long gpa(long gfn, int off) { return gfn * PAGE + off; }

    public MemorySegment page(long gfn) { return mem.segment().asSlice(gfn * PAGE, PAGE); }

    /** The 32-bit p2m entry of {@code gfn}. */
    public int p2mEntry(long gfn) { return p2m.segment().get(U32_UNALIGNED, P2mHeader.entryOffset(gfn)); }

    /** The p2m type of {@code gfn} as PROTOCOL §3.3 decodes it: the entry's own, else by the header's PoD extents. */
    public int p2mType(long gfn) { return P2mHeader.typeAt(p2m.segment(), gfn); }

    public long hypercall(long op, long... args) throws IOException { return Toolstack.call(conn, nextId++, op, args); }

    public long nextRequestId() { return nextId++; }

    @Override public void close() throws IOException {
        try {
            if (conn != null) conn.close();
        } finally {
            if (mem != null) mem.close();
            if (p2m != null) p2m.close();
            ts.destroy(domid);
        }
    }
}
