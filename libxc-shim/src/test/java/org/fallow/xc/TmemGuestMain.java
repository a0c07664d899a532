package org.fallow.xc;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.xen.TmemOp;
import org.fallow.abi.xen.TmemOp2009;
import org.fallow.xc.transport.HypervisorConnection;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;

import static org.fallow.abi.xen.TmemConstants.*;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;

/**
 * A guest process for the tmem end-to-end test: attaches to its domain over the socket, maps its memory file,
 * issues every tmem_op (struct in its own memory at gpa 256, data in frames 1..8) and prints {@code name rc} per op.
 * {@code WAIT tag} lines pause until the toolstack writes a line to stdin. Args: socket domid profile; the secret comes from {@code $FALLOW_SECRET}.
 */
public final class TmemGuestMain {
    static final long OP = 256;

    private final HypervisorConnection conn;
    private final MemorySegment mem;
    private final boolean v2009;
    private final BufferedReader in = new BufferedReader(new InputStreamReader(System.in));

    TmemGuestMain(HypervisorConnection conn, MemorySegment mem, boolean v2009) {
        this.conn = conn;
        this.mem = mem;
        this.v2009 = v2009;
    }

    public static void main(String[] a) throws Exception {
        Path socket = Path.of(a[0]);
        int domid = Integer.parseInt(a[1]);
        byte[] secret = org.fallow.abi.fs.Secrets.read(null, -1, System.getenv(), 16); // never argv (docs/SECURITY.md)
        AbiProfile profile = AbiProfile.fromLabel(a[2]);
        try (HypervisorConnection c = HypervisorConnection.guest(socket, domid, secret, profile);
             FileChannel fc = FileChannel.open(c.runDir().resolve("dom" + domid + ".mem"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment mem = fc.map(FileChannel.MapMode.READ_WRITE, 0, 64 * 4096L, Arena.ofShared());
            TmemGuestMain g = new TmemGuestMain(c, mem, profile == AbiProfile.TMEM_2009);
            if (g.v2009) g.run2009(); else g.run412();
            System.out.println("DONE");
        }
    }

    void r(String name, long rc) { System.out.println(name + " " + rc); System.out.flush(); }

    void waitFor(String tag) throws Exception {
        System.out.println("WAIT " + tag);
        System.out.flush();
        if (in.readLine() == null) throw new IllegalStateException("toolstack went away");
    }

    long call() throws Exception { return conn.hypercall(Hypercalls.TMEM_OP, OP); }

    long newPool(int flags, long uuid0, long uuid1) throws Exception {
        mem.asSlice(OP, TmemOp.SIZE).fill((byte) 0);
        if (v2009) new TmemOp2009().wrap(mem, OP).cmd(TMEM_NEW_POOL).newUuid(0, uuid0).newUuid(1, uuid1).newFlags(flags);
        else new TmemOp().wrap(mem, OP).cmd(TMEM_NEW_POOL).creatUuid(0, uuid0).creatUuid(1, uuid1).creatFlags(flags);
        return call();
    }

    /** A page op: the 2009 profile's one-word object id, the 4.12 profile's three-word oid {oid, oid + 1, oid + 2}. */
    long page(int cmd, int pool, long oid, int index, long gfn) throws Exception {
        mem.asSlice(OP, TmemOp.SIZE).fill((byte) 0);
        if (v2009) new TmemOp2009().wrap(mem, OP).cmd(cmd).poolId(pool).genObject(oid).genIndex(index).genCmfn(gfn);
        else new TmemOp().wrap(mem, OP).cmd(cmd).poolId(pool).genOid(oid, oid + 1, oid + 2).genIndex(index).genCmfn(gfn);
        return call();
    }

    long put(int pool, long oid, int idx, long gfn) throws Exception { return page(TMEM_PUT_PAGE, pool, oid, idx, gfn); }
    long get(int pool, long oid, int idx, long gfn) throws Exception { return page(TMEM_GET_PAGE, pool, oid, idx, gfn); }
    long flush(int pool, long oid, int idx) throws Exception { return page(TMEM_FLUSH_PAGE, pool, oid, idx, 0); }
    long flushObj(int pool, long oid) throws Exception { return page(TMEM_FLUSH_OBJECT, pool, oid, 0, 0); }
    long destroy(int pool) throws Exception { return page(TMEM_DESTROY_POOL, pool, 0, 0, 0); }

    void fill(long gfn, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < 4096; i += 8) mem.set(U64_UNALIGNED, gfn * 4096 + i, rnd.nextLong());
    }

    long same(long g1, long g2) { return mem.asSlice(g1 * 4096, 4096).mismatch(mem.asSlice(g2 * 4096, 4096)) == -1 ? 1 : 0; }

    void run412() throws Exception {
        int v = TMEM_SPEC_VERSION << TMEM_POOL_VERSION_SHIFT;
        r("new_pool_private", newPool(v, 0, 0));
        r("new_pool_persistent", newPool(v | TMEM_POOL_PERSIST, 0, 0));
        r("new_pool_shared", newPool(v | TMEM_POOL_SHARED, 0x1111, 0x2222));
        r("new_pool_bad_version", newPool(0, 0, 0));
        fill(1, 1);
        r("put", put(0, 100, 0, 1));
        r("get", get(0, 100, 0, 2));
        r("get_match", same(1, 2));
        r("get_exclusive_again", get(0, 100, 0, 2));
        r("put_pers", put(1, 100, 5, 1));
        fill(3, 3);
        r("dup_put", put(1, 100, 5, 3));
        r("get_pers", get(1, 100, 5, 4));
        r("get_pers_match", same(3, 4));
        r("get_miss", get(1, 100, 6, 4));
        r("flush_page", flush(1, 100, 5));
        r("get_after_flush", get(1, 100, 5, 4));
        for (int i = 0; i < 3; i++) put(1, 200, i, 1);
        r("flush_object", flushObj(1, 200));
        r("bad_pool", put(7, 100, 0, 1));
        r("destroy_missing", destroy(9));
        r("unknown_cmd", page(42, 0, 0, 0, 0));
        r("control_cmd", page(0, 0, 0, 0, 0));
        r("bad_cmfn", put(1, 100, 0, 1_000_000));
        r("put_shared", put(2, 900, 0, 1));
        r("put_keep", put(1, 700, 0, 1));
        waitFor("frozen");
        r("put_frozen", put(1, 800, 0, 1));
        r("flush_frozen", flush(1, 700, 0));
        waitFor("thawed");
        r("put_thawed", put(1, 800, 0, 1));
        r("destroy_pool", destroy(0));
    }

    void run2009() throws Exception {
        r("new_pool_v0", newPool(0, 0, 0));
        r("new_pool_v1", newPool(TMEM_SPEC_VERSION << TMEM_POOL_VERSION_SHIFT, 0, 0));
        r("new_pool_shared_persistent", newPool(TMEM_POOL_SHARED | TMEM_POOL_PERSIST, 0x1111, 0x2222));
        fill(1, 9);
        r("put", put(0, 100, 0, 1));
        r("get", get(0, 100, 0, 2));
        r("get_match", same(1, 2));
        r("get_exclusive_again", get(0, 100, 0, 2));
        r("new_page", page(3, 1, 300, 0, 0));
        r("get_new_page", get(1, 300, 0, 4));
        r("new_page_zero", mem.asSlice(4 * 4096, 4096).mismatch(MemorySegment.ofArray(new byte[4096])) == -1 ? 1 : 0);
        r("xchg", page(10, 1, 300, 0, 0));
        r("unknown_cmd", page(42, 1, 0, 0, 0));
        r("destroy_missing", destroy(9));
        r("put_keep", put(1, 700, 0, 1));
        waitFor("frozen");
        r("put_frozen", put(1, 800, 0, 1));
        waitFor("thawed");
        r("destroy_pool", destroy(0));
    }
}
