package org.fallow.conformance.cases;

import org.fallow.abi.xen.XenTmemClient;
import org.fallow.abi.xen.TmemHandle;
import org.fallow.abi.XenErrno;
import org.fallow.conformance.Guest;
import org.fallow.conformance.MappedFile;
import org.fallow.conformance.Toolstack;
import org.fallow.conformance.Wire;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.TmemConstants.*;
import static org.fallow.conformance.cases.TmemCalls.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * XEN_SYSCTL_tmem_op subops other than LIST (Xen 4.12 common/tmem_control.c, public/sysctl.h; Xen 4.12 public/sysctl.h): FREEZE/THAW against guest puts and flushes,
 * GET/SET_CLIENT_INFO ({@code xen_tmem_client}, 20 bytes), GET_POOLS ({@code xen_tmem_pool_info}, 32 bytes each),
 * QUERY_FREEABLE_MB.
 */
@DisplayName("sysctl tmem_op subops (Xen 4.12 common/tmem_control.c, public/sysctl.h; Xen 4.12 public/sysctl.h)")
class SysctlTmemSubopsConformance extends CaseSupport {
    private static final int PRIVATE = poolFlags(false, false, TMEM_SPEC_VERSION);
    private static final long U0 = 0xAAAA_0000_0000_0001L, U1 = 0xBBBB_0000_0000_0002L;

    private record Client(int version, int maxpools, int nrPools, int flags, int weight) {
        static Client read(MemorySegment s) {
            XenTmemClient c = new XenTmemClient().wrap(s, 0);
            return new Client((int) c.version(), (int) c.maxpools(), (int) c.nrPools(), (int) c.flags(), (int) c.weight());
        }

        void write(MemorySegment s) {
            new XenTmemClient().wrap(s, 0).version(version).maxpools(maxpools).nrPools(nrPools).flags(flags).weight(weight);
        }
    }

    private static Client clientInfo(Toolstack ts, int cli) throws Exception {
        Toolstack.Buf b = ts.alloc(CLIENT_SIZE);
        b.seg().fill((byte) 0x5A);
        assertEquals(0, sysctl(ts, XEN_SYSCTL_TMEM_OP_GET_CLIENT_INFO, 0, cli, 0, 0, b.handle()), "GET_CLIENT_INFO");
        return Client.read(b.seg());
    }

    private static long setClientInfo(Toolstack ts, int cli, Client c) throws Exception {
        Toolstack.Buf b = ts.alloc(CLIENT_SIZE);
        c.write(b.seg());
        return sysctl(ts, XEN_SYSCTL_TMEM_OP_SET_CLIENT_INFO, 0, cli, 0, 0, b.handle());
    }

    @Test @DisplayName("FREEZE: a new PUT -EFROZEN (-1000), a dup PUT 1, FLUSH_PAGE / FLUSH_OBJECT -EFROZEN after flushing; THAW: PUT 1 again; unknown client -1")
    void freezeThaw() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 32, 8).connect(target(), Wire.PROFILE_412)) {
            int d = g.domid();
            int pool = (int) newPool(g, PRIVATE, 0, 0);
            assertEquals(0, pool);
            fillSource(g, 1);
            assertEquals(1, page(g, TMEM_PUT_PAGE, pool, 1, SRC_GFN));
            assertEquals(1, page(g, TMEM_PUT_PAGE, pool, 2, SRC_GFN));

            assertEquals(0, sysctl(ts, XEN_SYSCTL_TMEM_OP_FREEZE, 0, d, 0, 0, 0), "FREEZE");
            assertEquals(1, clientInfo(ts, d).flags() & 1, "flags.u.frozen (bit 0) set");
            assertEquals(RC_EFROZEN, page(g, TMEM_PUT_PAGE, pool, 3, SRC_GFN), "new put into a frozen client");
            byte[] dup = fillSource(g, 2);
            assertEquals(1, page(g, TMEM_PUT_PAGE, pool, 2, SRC_GFN), "dup put is allowed while frozen");
            assertEquals(RC_EFROZEN, page(g, TMEM_FLUSH_PAGE, pool, 1, 0), "flush while frozen");
            assertEquals(0, page(g, TMEM_GET_PAGE, pool, 1, DST_GFN), "…but the flush was done");
            assertEquals(0, page(g, TMEM_GET_PAGE, pool, 3, DST_GFN), "the refused put stored nothing");
            assertEquals(1, page(g, TMEM_GET_PAGE, pool, 2, DST_GFN), "get while frozen (exclusive: removes it)");
            assertArrayEquals(dup, destination(g), "the dup put replaced the data");

            assertEquals(0, sysctl(ts, XEN_SYSCTL_TMEM_OP_THAW, 0, d, 0, 0, 0), "THAW");
            assertEquals(0, clientInfo(ts, d).flags() & 1, "frozen cleared");
            assertEquals(1, page(g, TMEM_PUT_PAGE, pool, 3, SRC_GFN), "put after THAW");
            assertEquals(1, page(g, TMEM_PUT_PAGE, pool, 4, SRC_GFN));
            assertEquals(0, sysctl(ts, XEN_SYSCTL_TMEM_OP_FREEZE, 0, d, 0, 0, 0));
            assertEquals(RC_EFROZEN, page(g, TMEM_FLUSH_OBJECT, pool, 0, 0), "flush object while frozen");
            assertEquals(RC_EEMPTY, page(g, TMEM_GET_PAGE, pool, 3, DST_GFN), "…done: the pool is empty");
            assertEquals(0, sysctl(ts, XEN_SYSCTL_TMEM_OP_THAW, 0, d, 0, 0, 0));
            assertEquals(-1, sysctl(ts, XEN_SYSCTL_TMEM_OP_FREEZE, 0, 0x7123, 0, 0, 0), "unknown client");
            assertEquals(-1, sysctl(ts, XEN_SYSCTL_TMEM_OP_THAW, 0, 0x7123, 0, 0, 0), "unknown client");
        }
    }

    @Test @DisplayName("FLUSH (subop 2): one client -1, all clients returns kB ≥ 0 (a multiple of 4)")
    void flush() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 32, 8).connect(target(), Wire.PROFILE_412)) {
            assertEquals(0, newPool(g, PRIVATE, 0, 0));
            assertEquals(-1, sysctl(ts, XEN_SYSCTL_TMEM_OP_FLUSH, 0, g.domid(), 0, 64, 0), "only cli_id 0xFFFF");
            long kb = sysctl(ts, XEN_SYSCTL_TMEM_OP_FLUSH, 0, XEN_SYSCTL_TMEM_OP_ALL_CLIENTS, 0, 64, 0);
            assertTrue(kb >= 0 && kb % 4 == 0, "kB " + kb);
        }
    }

    @Test @DisplayName("SAVE_BEGIN (-ENOENT without pools; freezes) / SAVE_END (restores frozen); RESTORE_BEGIN 0 then -EEXIST; SET_POOLS creates at the slot and returns the last id")
    void saveRestoreBookkeeping() throws Exception {
        try (Toolstack ts = Toolstack.connect(target());
             Guest g = Guest.create(ts, 32, 8).connect(target(), Wire.PROFILE_412);
             Guest r = Guest.create(ts, 32, 8).connect(target(), Wire.PROFILE_412)) {
            int d = g.domid();
            assertEquals(-XenErrno.ENOENT, sysctl(ts, XEN_SYSCTL_TMEM_OP_SAVE_BEGIN, 0, d, 0, 0, 0), "no client");
            assertEquals(-XenErrno.ENOENT, sysctl(ts, XEN_SYSCTL_TMEM_OP_SAVE_END, 0, d, 0, 0, 0), "no client");
            assertEquals(0, newPool(g, PRIVATE, 0, 0));
            assertEquals(0, sysctl(ts, XEN_SYSCTL_TMEM_OP_SAVE_BEGIN, 0, d, 0, 0, 0), "SAVE_BEGIN");
            assertEquals(1, clientInfo(ts, d).flags() & 1, "frozen while saving");
            fillSource(g, 6);
            assertEquals(RC_EFROZEN, page(g, TMEM_PUT_PAGE, 0, 1, SRC_GFN));
            assertEquals(0, sysctl(ts, XEN_SYSCTL_TMEM_OP_SAVE_END, 0, d, 0, 0, 0), "SAVE_END");
            assertEquals(0, clientInfo(ts, d).flags() & 1, "frozen state restored");
            assertEquals(-XenErrno.EEXIST, sysctl(ts, XEN_SYSCTL_TMEM_OP_RESTORE_BEGIN, 0, d, 0, 0, 0), "client exists");

            int rd = r.domid();
            assertEquals(0, sysctl(ts, XEN_SYSCTL_TMEM_OP_RESTORE_BEGIN, 0, rd, 0, 0, 0), "RESTORE_BEGIN");
            assertEquals(-XenErrno.EEXIST, sysctl(ts, XEN_SYSCTL_TMEM_OP_RESTORE_BEGIN, 0, rd, 0, 0, 0));
            Toolstack.Buf b = ts.alloc(2L * POOL_INFO_SIZE);
            new PoolInfo(1 << 24, 3, 0, U0, U1).write(b.seg(), 0);
            new PoolInfo(1 | 1 << 24, 5, 0, 0, 0).write(b.seg(), 1);
            assertEquals(5, sysctl(ts, XEN_SYSCTL_TMEM_OP_SET_POOLS, 0, rd, 2L * POOL_INFO_SIZE, 0, b.handle()),
                    "rc ?: i: the last created pool id");
            Toolstack.Buf out = ts.alloc(4L * POOL_INFO_SIZE);
            assertEquals(2, sysctl(ts, XEN_SYSCTL_TMEM_OP_GET_POOLS, 0, rd, 4L * POOL_INFO_SIZE, 0, out.handle()));
            assertEquals(new PoolInfo(1 << 24, 3, 0, U0, U1), PoolInfo.read(out.seg(), 0));
            assertEquals(new PoolInfo(1 | 1 << 24, 5, 0, 0, 0), PoolInfo.read(out.seg(), 1));
            assertEquals(1, page(r, TMEM_PUT_PAGE, 5, 0, SRC_GFN), "the guest uses its restored persistent pool 5");
            Toolstack.Buf bad = ts.alloc(POOL_INFO_SIZE);
            new PoolInfo(1 << 24, 7, 1, 0, 0).write(bad.seg(), 0);
            assertEquals(-XenErrno.EINVAL, sysctl(ts, XEN_SYSCTL_TMEM_OP_SET_POOLS, 0, rd, POOL_INFO_SIZE, 0, bad.handle()), "n_pages ≠ 0");
            new PoolInfo(1 << 24, 3, 0, 0, 0).write(bad.seg(), 0);
            assertEquals(-XenErrno.EPERM, sysctl(ts, XEN_SYSCTL_TMEM_OP_SET_POOLS, 0, rd, POOL_INFO_SIZE, 0, bad.handle()), "slot 3 is taken");
        }
    }

    @Test @DisplayName("GET_CLIENT_INFO (generic {1,16,0,0,0} without a client) / SET_CLIENT_INFO: version ≠ 1 -EOPNOTSUPP, maxpools > 16 -ERANGE, unknown client -ENOENT, weight set")
    void clientInfo() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 32, 8).connect(target(), Wire.PROFILE_412)) {
            int d = g.domid();
            assertEquals(new Client(1, 16, 0, 0, 0), clientInfo(ts, d), "no client yet: the generic answer");
            assertEquals(-XenErrno.ENOENT, setClientInfo(ts, d, new Client(1, 16, 0, 0, 3)), "no client yet");
            assertEquals(0, newPool(g, PRIVATE, 0, 0));
            assertEquals(1, newPool(g, PRIVATE, 0, 0));
            Client c = clientInfo(ts, d);
            assertEquals(1, c.version());
            assertEquals(16, c.maxpools());
            assertEquals(2, c.nrPools(), "nr_pools");
            assertEquals(0, c.flags() & 1, "not frozen");
            assertEquals(0, c.weight());

            assertEquals(-XenErrno.EOPNOTSUPP, setClientInfo(ts, d, new Client(2, 16, 0, 0, 3)), "version 2");
            assertEquals(-XenErrno.EOPNOTSUPP, setClientInfo(ts, d, new Client(0, 16, 0, 0, 3)), "version 0");
            assertEquals(-XenErrno.ERANGE, setClientInfo(ts, d, new Client(1, 17, 0, 0, 3)), "maxpools 17");
            assertEquals(0, clientInfo(ts, d).weight(), "refused calls changed nothing");
            assertEquals(0, setClientInfo(ts, d, new Client(1, 16, 9, 1 /* frozen: ignored */, 3)));
            Client after = clientInfo(ts, d);
            assertEquals(3, after.weight(), "weight set");
            assertEquals(2, after.nrPools(), "nr_pools is not settable");
            assertEquals(0, after.flags() & 1, "frozen is not settable");
            assertEquals(-XenErrno.ENOENT, setClientInfo(ts, 0x7123, new Client(1, 16, 0, 0, 3)), "unknown client");
        }
    }

    @Test @DisplayName("GET_POOLS: 32-byte entries in slot order (flags.raw, id, n_pages, uuid); len checks -EINVAL / -E2BIG; QUERY_FREEABLE_MB ≥ 0")
    void getPools() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 32, 8).connect(target(), Wire.PROFILE_412)) {
            int d = g.domid();
            Toolstack.Buf none = ts.alloc(POOL_INFO_SIZE);
            assertEquals(-XenErrno.EINVAL, sysctl(ts, XEN_SYSCTL_TMEM_OP_GET_POOLS, 0, d, POOL_INFO_SIZE, 0, none.handle()), "no client");
            assertEquals(0, newPool(g, PRIVATE, U0, U1));
            assertEquals(1, newPool(g, poolFlags(true, false, TMEM_SPEC_VERSION), 7, 8));
            assertEquals(2, newPool(g, PRIVATE, 0, 0));
            assertEquals(1, tmem(g, TMEM_DESTROY_POOL, 2, null), "slot 2 freed again");
            fillSource(g, 3);
            for (int i = 0; i < 3; i++) assertEquals(1, page(g, TMEM_PUT_PAGE, 0, i, SRC_GFN));
            assertEquals(1, page(g, TMEM_PUT_PAGE, 1, 0, SRC_GFN));

            Toolstack.Buf b = ts.alloc(4L * POOL_INFO_SIZE);
            b.seg().fill((byte) 0x77);
            assertEquals(2, sysctl(ts, XEN_SYSCTL_TMEM_OP_GET_POOLS, 0, d, 4L * POOL_INFO_SIZE, 0, b.handle()), "entries written");
            assertEquals(new PoolInfo(1 << 24, 0, 3, U0, U1), PoolInfo.read(b.seg(), 0), "ephemeral private pool");
            assertEquals(new PoolInfo(1 | 1 << 24, 1, 1, 7, 8), PoolInfo.read(b.seg(), 1), "persistent pool");
            assertEquals(0x7777_7777, b.seg().get(U32_UNALIGNED, 2L * POOL_INFO_SIZE), "nothing written past the entries");

            Toolstack.Buf one = ts.alloc(POOL_INFO_SIZE);
            assertEquals(1, sysctl(ts, XEN_SYSCTL_TMEM_OP_GET_POOLS, 0, d, POOL_INFO_SIZE, 0, one.handle()), "room for one");
            assertEquals(0, PoolInfo.read(one.seg(), 0).id());
            assertEquals(-XenErrno.EINVAL, sysctl(ts, XEN_SYSCTL_TMEM_OP_GET_POOLS, 0, d, 33, 0, b.handle()), "len not a multiple of 32");
            assertEquals(-XenErrno.E2BIG, sysctl(ts, XEN_SYSCTL_TMEM_OP_GET_POOLS, 0, d, 17L * POOL_INFO_SIZE, 0, b.handle()), "17 entries");

            assertEquals(0, sysctl(ts, XEN_SYSCTL_TMEM_OP_GET_POOLS, 0, d, 0, 0, b.handle()),
                    "len 0 (Fallow: DEVIATIONS.md tmem 'GET_POOLS with len 0 writes nothing')");

            long mb = sysctl(ts, XEN_SYSCTL_TMEM_OP_QUERY_FREEABLE_MB, 0, XEN_SYSCTL_TMEM_OP_ALL_CLIENTS, 0, 0, 0);
            assertTrue(mb >= 0, "QUERY_FREEABLE_MB " + mb);
        }
    }

    @Test @DisplayName("DESTROY (subop 3) destroys the client's pools and keeps the client (Fallow: DEVIATIONS.md tmem 'DESTROY destroys the client's pools'; Xen 4.12 thaws)")
    void destroy() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 32, 8).connect(target(), Wire.PROFILE_412)) {
            int d = g.domid();
            assertEquals(0, newPool(g, PRIVATE, 0, 0));
            assertEquals(1, newPool(g, poolFlags(true, false, TMEM_SPEC_VERSION), 0, 0));
            fillSource(g, 4);
            assertEquals(1, page(g, TMEM_PUT_PAGE, 1, 5, SRC_GFN));
            assertEquals(0, sysctl(ts, XEN_SYSCTL_TMEM_OP_FREEZE, 0, d, 0, 0, 0));
            assertEquals(0, sysctl(ts, XEN_SYSCTL_TMEM_OP_DESTROY, 0, d, 0, 0, 0), "DESTROY");
            assertEquals(-XenErrno.ENODEV, page(g, TMEM_GET_PAGE, 1, 5, DST_GFN), "the pools are gone");
            Client c = clientInfo(ts, d);
            assertEquals(0, c.nrPools(), "nr_pools");
            assertEquals(1, c.flags() & 1, "frozen left alone");
            assertEquals(-1, sysctl(ts, XEN_SYSCTL_TMEM_OP_DESTROY, 0, 0x7123, 0, 0, 0), "unknown client");
            assertEquals(0, sysctl(ts, XEN_SYSCTL_TMEM_OP_THAW, 0, d, 0, 0, 0), "the client still exists");
            assertEquals(0, newPool(g, PRIVATE, 0, 0), "and may create pools again");
        }
    }

    /** A sysctl tmem_op with the oid fields set (RESTORE_PUT_PAGE / RESTORE_FLUSH_PAGE: index = arg). */
    private static long sysctlOid(Toolstack ts, int subop, int poolId, int cli, long len, int arg, long buf) throws Exception {
        Toolstack.Buf s = ts.alloc(org.fallow.abi.xen.XenSysctl.SIZE);
        TmemCalls.sysctlOp(s.seg(), subop, poolId, cli, len, arg, buf).oid(0, OID0).oid(1, OID1).oid(2, OID2);
        return ts.hypercall(org.fallow.abi.Hypercalls.SYSCTL, s.handle());
    }

    @Test @DisplayName("SAVE_GET_NEXT_PAGE streams tmem_handle + 4096 bytes per persistent page, -1 at the end; RESTORE_PUT_PAGE / RESTORE_FLUSH_PAGE (Fallow: DEVIATIONS.md tmem 'Save/restore page streaming works as intended')")
    void pageStreaming() throws Exception {
        try (Toolstack ts = Toolstack.connect(target());
             Guest g = Guest.create(ts, 32, 8).connect(target(), Wire.PROFILE_412);
             Guest r = Guest.create(ts, 32, 8).connect(target(), Wire.PROFILE_412)) {
            int d = g.domid();
            assertEquals(0, newPool(g, poolFlags(true, false, TMEM_SPEC_VERSION), 0, 0));
            assertEquals(1, newPool(g, PRIVATE, 0, 0));
            byte[] p1 = fillSource(g, 11);
            assertEquals(1, page(g, TMEM_PUT_PAGE, 0, 1, SRC_GFN));
            byte[] p2 = fillSource(g, 22);
            assertEquals(1, page(g, TMEM_PUT_PAGE, 0, 2, SRC_GFN));
            assertEquals(0, sysctl(ts, XEN_SYSCTL_TMEM_OP_SAVE_BEGIN, 0, d, 0, 0, 0));

            Toolstack.Buf buf = ts.alloc(32 + 4096);
            assertEquals(-XenErrno.ENOMEM, sysctl(ts, XEN_SYSCTL_TMEM_OP_SAVE_GET_NEXT_PAGE, 0, d, 4096 + 31, 0, buf.handle()), "len < 4128");
            assertEquals(-1, sysctl(ts, XEN_SYSCTL_TMEM_OP_SAVE_GET_NEXT_PAGE, 1, d, 4096 + 32, 0, buf.handle()), "ephemeral pool");
            java.util.Map<Integer, byte[]> saved = new java.util.TreeMap<>();
            for (int n = 0; n < 3; n++) {
                long rc = sysctl(ts, XEN_SYSCTL_TMEM_OP_SAVE_GET_NEXT_PAGE, 0, d, 4096 + 32, 0, buf.handle());
                if (rc == -1) break;
                assertEquals(1, rc, "SAVE_GET_NEXT_PAGE");
                TmemHandle h = new TmemHandle().wrap(buf.seg(), 0);
                assertEquals(0, h.poolId(), "tmem_handle.pool_id");
                assertEquals(OID0, h.oid(0), "oid[0]");
                assertEquals(OID1, h.oid(1), "oid[1]");
                assertEquals(OID2, h.oid(2), "oid[2]");
                saved.put((int) h.index(), buf.seg().asSlice(TmemHandle.SIZE, 4096).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            }
            assertEquals(java.util.Set.of(1, 2), saved.keySet(), "both pages, then -1");
            assertArrayEquals(p1, saved.get(1));
            assertArrayEquals(p2, saved.get(2));
            assertEquals(0, sysctl(ts, XEN_SYSCTL_TMEM_OP_SAVE_GET_NEXT_INV, 0, d, 32, 0, buf.handle()), "no invalidations");
            assertEquals(0, sysctl(ts, XEN_SYSCTL_TMEM_OP_SAVE_END, 0, d, 0, 0, 0));

            int rd = r.domid();
            assertEquals(0, sysctl(ts, XEN_SYSCTL_TMEM_OP_RESTORE_BEGIN, 0, rd, 0, 0, 0));
            Toolstack.Buf pools = ts.alloc(POOL_INFO_SIZE);
            new PoolInfo(1 | 1 << 24, 0, 0, 0, 0).write(pools.seg(), 0);
            assertEquals(1, sysctl(ts, XEN_SYSCTL_TMEM_OP_SET_POOLS, 0, rd, POOL_INFO_SIZE, 0, pools.handle()), "id 0 → the count 1");
            Toolstack.Buf data = ts.alloc(4096);
            for (var e : saved.entrySet()) {
                data.seg().copyFrom(MemorySegment.ofArray(e.getValue()));
                assertEquals(-XenErrno.EINVAL, sysctlOid(ts, XEN_SYSCTL_TMEM_OP_RESTORE_PUT_PAGE, 0, rd, 4095, e.getKey(), data.handle()), "len ≠ 4096");
                assertEquals(1, sysctlOid(ts, XEN_SYSCTL_TMEM_OP_RESTORE_PUT_PAGE, 0, rd, 4096, e.getKey(), data.handle()), "RESTORE_PUT_PAGE");
            }
            assertEquals(-1, sysctlOid(ts, XEN_SYSCTL_TMEM_OP_RESTORE_PUT_PAGE, 4, rd, 4096, 1, data.handle()), "no pool 4");
            r.page(DST_GFN).fill((byte) 0);
            assertEquals(1, page(r, TMEM_GET_PAGE, 0, 2, DST_GFN), "the restored guest gets its page");
            assertArrayEquals(p2, destination(r));
            assertEquals(1, sysctlOid(ts, XEN_SYSCTL_TMEM_OP_RESTORE_FLUSH_PAGE, 0, rd, 0, 1, 0), "RESTORE_FLUSH_PAGE");
            assertEquals(0, page(r, TMEM_GET_PAGE, 0, 1, DST_GFN), "flushed");
            assertEquals(-1, sysctlOid(ts, XEN_SYSCTL_TMEM_OP_RESTORE_FLUSH_PAGE, 4, rd, 0, 1, 0), "no pool 4");
        }
    }
}
