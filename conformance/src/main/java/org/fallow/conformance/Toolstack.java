package org.fallow.conformance;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.toolstack.HypercallPort;
import org.fallow.abi.toolstack.ToolstackCalls;
import org.fallow.abi.xen.DomctlConstants;
import org.fallow.abi.xen.MemoryOpConstants;
import org.fallow.abi.xen.XenDomctl;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * A toolstack (dom0) client over {@link RawConnection} with a hypercall-buffer arena file (PROTOCOL §3.1): structs are
 * built in the arena with the abi flyweights and passed by handle {@code ARENA_BASE + offset}; the domctls and
 * memory_ops of its helpers are encoded by {@link ToolstackCalls}, the one toolstack encoder.
 */
public final class Toolstack implements HypercallPort, AutoCloseable {

    public static final long ARENA_BASE = 0x7f12_3400_0000L;
    public static final int ARENA_LEN = 1 << 20;

    private final RawConnection conn;
    private final MappedFile arena;
    private int profile = Wire.PROFILE_412;
    private long nextId = 1;
    private long bump;
    private RawFrame ack;
    private final ToolstackCalls calls = new ToolstackCalls(this);

    private Toolstack(RawConnection conn, MappedFile arena) {
        this.conn = conn;
        this.arena = arena;
    }

    /** Connects and completes the handshake (profile 4.12); throws if HELLO_ACK's status is not 0. */
    public static Toolstack connect(Target t) throws IOException { return connect(t, Wire.PROFILE_412); }

    /** Connects with ABI {@code profile} (1 = 4.12, 2 = 2009, 3 = 4.17). */
    public static Toolstack connect(Target t, int profile) throws IOException { return connect(t, profile, 0); }

    /** Connects with ABI {@code profile} and HELLO {@code flags}. */
    public static Toolstack connect(Target t, int profile, int flags) throws IOException {
        Path file = t.scratch().resolve("arena-" + ThreadLocalRandom.current().nextInt(1 << 30));
        MappedFile a = MappedFile.create(file, ARENA_LEN);
        Toolstack ts = new Toolstack(RawConnection.open(t.socket()), a);
        ts.profile = profile;
        ts.conn.send(Wire.HELLO, ts.nextId++, Wire.hello(Wire.ROLE_TOOLSTACK, profile, flags, 0, null, ARENA_BASE, ARENA_LEN, file.toString()));
        ts.ack = ts.conn.read();
        if (ts.ack.type() != Wire.HELLO_ACK || ts.ack.status() != 0) {
            ts.close();
            throw new IOException("toolstack HELLO refused: " + ts.ack);
        }
        return ts;
    }

    public RawConnection connection() { return conn; }

    public RawFrame helloAck() { return ack; }

    /** The run_dir of HELLO_ACK (where dom&lt;D&gt;.mem lives), unless the target names one. */
    public Path runDir(Target t) {
        if (t.runDir() != null) return t.runDir();
        return Path.of(ack.helloAck().runDir());
    }

    /** A zeroed arena buffer: the handle is {@code base + offset}. */
    public record Buf(long handle, MemorySegment seg) {}

    public Buf alloc(long size) {
        long off = (bump + 63) & ~63L;
        if (off + size > ARENA_LEN) { off = 0; }
        bump = off + size;
        MemorySegment s = arena.segment().asSlice(off, size);
        s.fill((byte) 0);
        return new Buf(ARENA_BASE + off, s);
    }

    /** A zeroed, page-aligned 4096-byte arena buffer (e.g. a paging prep buffer, which must be page-aligned). */
    public Buf allocPage() {
        Buf b = alloc(2L * 4096);
        long pad = (4096 - (b.handle() & 4095)) & 4095;
        return new Buf(b.handle() + pad, b.seg().asSlice(pad, 4096));
    }

    /** Scratch for {@link ToolstackCalls}: an {@link #alloc} buffer (the bump allocator reuses the arena in turn). */
    @Override public HypercallPort.Scratch scratch(long size) {
        Buf b = alloc(size);
        return new HypercallPort.Scratch() {
            @Override public MemorySegment segment() { return b.seg(); }
            @Override public long handle() { return b.handle(); }
            @Override public void close() {}
        };
    }

    /** The toolstack encoder (libxc-shim's and the in-process toolstack's too) over this raw-frame connection. */
    public ToolstackCalls calls() { return calls; }

    /** Issues a HYPERCALL and returns HYPERCALL_RET's value (checking type and request_id). */
    @Override public long hypercall(long op, long... args) throws IOException { return call(conn, nextId++, op, args); }

    static long call(RawConnection c, long id, long op, long... args) throws IOException {
        c.send(Wire.HYPERCALL, id, Wire.hypercall(op, args));
        RawFrame r = c.read();
        while (r.requestId() == 0 && (r.type() == Wire.XENSTORE || r.type() == Wire.EVTCHN_SEND || r.type() == Wire.DOMAIN_EVENT))
            r = c.read(); // unsolicited (PROTOCOL §1): watch events, event-channel kicks, domain events
        if (r.type() != Wire.HYPERCALL_RET || r.requestId() != id || r.payload().length != 8)
            throw new IOException("expected HYPERCALL_RET for request " + id + ", got " + r);
        return r.status();
    }

    /** The domctl interface_version of this connection's profile: 0x11 (4.12, 2009), 0x15 (4.17). */
    public int domctlVersion() {
        return profile == Wire.PROFILE_417 ? AbiProfile.DOMCTL_VERSION_4_17 : DomctlConstants.XEN_DOMCTL_INTERFACE_VERSION;
    }

    @Override public int domctlInterfaceVersion() { return domctlVersion(); }

    /** A domctl with the profile's interface version filled by {@code fill}; the copied-back struct is in {@code out}. */
    public long domctl(int cmd, int domid, Consumer<XenDomctl> fill, XenDomctl out) throws IOException {
        XenDomctl d = (out != null ? out : new XenDomctl()).wrapNew().cmd(cmd).domain(domid);
        if (fill != null) fill.accept(d);
        return calls.domctl(d);
    }

    /** createdomain (HVM + HAP, 1 vCPU) with {@code handle}; returns the new domid. */
    public int createDomain(byte[] handle) throws IOException {
        return createDomain(handle, DomctlConstants.XEN_DOMCTL_CDF_hvm | DomctlConstants.XEN_DOMCTL_CDF_hap);
    }

    /** createdomain with {@code XEN_DOMCTL_CDF_*} {@code flags} (1 vCPU); returns the new domid. */
    public int createDomain(byte[] handle, int flags) throws IOException {
        long rc = calls.createDomain(0, handle, flags, 1);
        if (rc < 0) throw new IOException("createdomain returned " + rc);
        return (int) rc;
    }

    public long maxMem(int domid, long kb) throws IOException { return calls.setMaxMem(domid, kb); }

    public long destroy(int domid) throws IOException { return calls.destroy(domid); }

    public long unpause(int domid) throws IOException { return calls.unpause(domid); }

    /** A reservation op on gfns [first, first+n) (order 0); returns the hypercall's value (extents done). */
    public long reservation(int cmd, int domid, long first, int n, int memFlags) throws IOException {
        long[] gfns = new long[n];
        for (int i = 0; i < n; i++) gfns[i] = first + i;
        return calls.reservation(cmd, domid, n, 0, memFlags, gfns);
    }

    public long populate(int domid, long first, int n) throws IOException {
        return reservation(MemoryOpConstants.XENMEM_populate_physmap, domid, first, n, 0);
    }

    /** XENMEM_paging_op (memory_op 20) with {@code struct xen_mem_paging_op}; {@code buffer} is used by prep only. */
    public long pagingOp(int op, int domid, long gfn, long buffer) throws IOException {
        return calls.pagingOp(op, domid, gfn, buffer);
    }

    /** XEN_DOMCTL_vm_event_op in PAGING mode; {@code out} (may be null) receives the copied-back domctl. */
    public long vmEventPaging(int domid, int op, XenDomctl out) throws IOException {
        return calls.vmEventOp(domid, op, DomctlConstants.XEN_DOMCTL_VM_EVENT_OP_PAGING, out != null ? out : new XenDomctl());
    }

    /** HVMOP_set_param (hvm_op 0) with a {@code struct xen_hvm_param}. */
    public long setHvmParam(int domid, int index, long value) throws IOException {
        return calls.setHvmParam(domid, index, value);
    }

    @Override public void close() throws IOException {
        try {
            conn.close();
        } finally {
            arena.close();
        }
    }
}
