package org.fallow.hypervisor.tmem;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.TmemHandle;
import org.fallow.abi.xen.XenSysctl;
import org.fallow.abi.xen.XenTmemClient;
import org.fallow.abi.xen.XenTmemPoolInfo;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.ControlOp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.SysctlConstants.XEN_SYSCTL_INTERFACE_VERSION;
import static org.fallow.abi.xen.SysctlConstants.XEN_SYSCTL_tmem_op;
import static org.fallow.hypervisor.tmem.TmemDefs.*;
import static org.junit.jupiter.api.Assertions.*;

/** tmem_op (38) and XEN_SYSCTL_tmem_op (24) through the HypervisorCore, with structs read from caller memory. */
@Timeout(30)
class TmemSubsystemTest {
    /** Guest-physical address of the tmem_op struct (in frame 0; address 0 itself is NULL). */
    static final long OPH = 256;
    final InProcessHypervisor hv = new InProcessHypervisor(8192);

    @AfterEach void close() { hv.close(); }

    private static void fill(FakeDomainMemory m, long gfn, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment f = m.ram.asSlice(gfn * 4096, 4096);
        for (int i = 0; i < 4096; i += 8) f.set(U64_UNALIGNED, i, r.nextLong());
    }

    private static byte[] frame(FakeDomainMemory m, long gfn) { return m.ram.asSlice(gfn * 4096, 4096).toArray(ValueLayout.JAVA_BYTE); }

    @Test void guest412OpsReadTheirStructFromGuestMemoryAndDataFromFrames() {
        FakeDomainMemory m = hv.createDomain(5, 16, 1000);
        Caller g = hv.guest(5, AbiProfile.XEN_4_12);
        MemorySegment op = m.ram.asSlice(OPH, 56);
        TmemOpCodec.encodeNewPool(AbiProfile.XEN_4_12, op, 0, 0, (1 << 24) | POOL_PERSIST);
        assertEquals(0, hv.tmemOp(g, OPH));
        fill(m, 1, 42);
        TmemOid oid = new TmemOid(1, 2, 3);
        TmemOpCodec.encodePage(AbiProfile.XEN_4_12, op, PUT_PAGE, 0, oid, 7, 1);
        assertEquals(1, hv.tmemOp(g, OPH));
        assertEquals(1, m.totPages(), "persistent page counted in tot_pages");
        TmemOpCodec.encodePage(AbiProfile.XEN_4_12, op, GET_PAGE, 0, oid, 7, 2);
        assertEquals(1, hv.tmemOp(g, OPH));
        assertArrayEquals(frame(m, 1), frame(m, 2));
        TmemOpCodec.encodePage(AbiProfile.XEN_4_12, op, GET_PAGE, 0, oid, 7, 999);
        assertEquals(-XenErrno.EFAULT, hv.tmemOp(g, OPH), "cmfn outside guest RAM");
        assertEquals(-XenErrno.EFAULT, hv.tmemOp(g, 16 * 4096 - 8), "tmem_op straddles the end of guest memory");
        TmemOpCodec.encodePage(AbiProfile.XEN_4_12, op, FLUSH_OBJECT, 0, oid, 0, 0);
        assertEquals(1, hv.tmemOp(g, OPH));
        assertEquals(0, m.totPages());
    }

    @Test void guest2009OpsUseTheFortyByteStruct() {
        FakeDomainMemory m = hv.createDomain(6, 16, 1000);
        Caller g = hv.guest(6, AbiProfile.TMEM_2009);
        MemorySegment op = m.ram.asSlice(OPH, 40);
        TmemOpCodec.encodeNewPool(AbiProfile.TMEM_2009, op, 0, 0, 0);
        assertEquals(0, hv.tmemOp(g, OPH));
        fill(m, 3, 7);
        TmemOpCodec.encodePage(AbiProfile.TMEM_2009, op, PUT_PAGE, 0, TmemOid.of2009(0x99), 5, 3);
        assertEquals(1, hv.tmemOp(g, OPH));
        TmemOpCodec.encodePage(AbiProfile.TMEM_2009, op, GET_PAGE, 0, TmemOid.of2009(0x99), 5, 4);
        assertEquals(1, hv.tmemOp(g, OPH));
        assertArrayEquals(frame(m, 3), frame(m, 4));
        TmemOpCodec.encodePage(AbiProfile.TMEM_2009, op, DESTROY_POOL, 3, TmemOid.of2009(0), 0, 0);
        assertEquals(-XenErrno.ENODEV, hv.tmemOp(g, OPH));
    }

    @Test void seedStyleTmemControlListFromTheToolstackWritesTheText() {
        FakeDomainMemory m = hv.createDomain(6, 16, 1000);
        Caller g = hv.guest(6, AbiProfile.TMEM_2009);
        TmemOpCodec.encodeNewPool(AbiProfile.TMEM_2009, m.ram.asSlice(OPH, 40), 0, 0, 0);
        assertEquals(0, hv.tmemOp(g, OPH));
        Caller ts = hv.toolstack(AbiProfile.TMEM_2009);
        long opH = InProcessHypervisor.ARENA_BASE, bufH = opH + 4096;
        // xc_tmem_control(xc, -1, TMEMC_LIST, -1, 4096, 0, buf)
        TmemOpCodec.encodeControl2009(hv.arena.asSlice(0, 40), -1, TMEMC_LIST, -1, 4096, 0, bufH);
        assertEquals(0, hv.tmemOp(ts, opH));
        String text = hv.arena.asSlice(4096, 4096).getString(0, StandardCharsets.US_ASCII);
        assertTrue(text.startsWith("G=Tt:"), text);
        assertTrue(text.contains("C=CI:6,ww:0,ca:0,co:0,fr:0\nP=CI:6,PI:0,PT:EP,U0:0,U1:0\nT=Gn:0,"), text);
        // FREEZE then a guest put is -EFROZEN
        TmemOpCodec.encodeControl2009(hv.arena.asSlice(0, 40), -1, TMEMC_FREEZE, 6, 0, 0, 0);
        assertEquals(0, hv.tmemOp(ts, opH));
        fill(m, 2, 1);
        TmemOpCodec.encodePage(AbiProfile.TMEM_2009, m.ram.asSlice(OPH, 40), PUT_PAGE, 0, TmemOid.of2009(1), 0, 2);
        assertEquals(-XenErrno.EFROZEN, hv.tmemOp(g, OPH));
        // unknown subop -> -1
        TmemOpCodec.encodeControl2009(hv.arena.asSlice(0, 40), -1, 77, 6, 0, 0, 0);
        assertEquals(-1, hv.tmemOp(ts, opH));
    }

    @Test void tmemControlFromAGuestIsEperm() {
        FakeDomainMemory m = hv.createDomain(6, 16, 1000);
        TmemOpCodec.encodeControl2009(m.ram.asSlice(OPH, 40), -1, TMEMC_FREEZE, 0xFFFF, 0, 0, 0);
        assertEquals(-XenErrno.EPERM, hv.tmemOp(hv.guest(6, AbiProfile.TMEM_2009), OPH));
    }

    @Test void tmemControlCmdAt412IsEopnotsupp() {
        FakeDomainMemory m = hv.createDomain(6, 16, 1000);
        TmemOpCodec.encodeControl2009(m.ram.asSlice(OPH, 56), -1, TMEMC_FREEZE, 0xFFFF, 0, 0, 0);
        assertEquals(-XenErrno.EOPNOTSUPP, hv.tmemOp(hv.guest(6, AbiProfile.XEN_4_12), OPH));
    }

    /** A xen_sysctl (136 bytes) for XEN_SYSCTL_tmem_op, as libxc's xc_tmem_control builds it. */
    private long sysctl(int cmd, int poolId, int cliId, int len, int arg, long buf) {
        XenSysctl x = newSysctl().cmd(XEN_SYSCTL_tmem_op).interfaceVersion(XEN_SYSCTL_INTERFACE_VERSION);
        x.tmemOp().cmd(cmd).poolId(poolId).cliId(cliId).len(len).arg(arg).buf(buf);
        ControlOp cop = new ControlOp(hv.toolstack(AbiProfile.XEN_4_12), x.segment());
        return hv.onDispatch(() -> hv.core.sysctls().get(XEN_SYSCTL_tmem_op).invoke(cop));
    }

    /** A zeroed 8-aligned xen_sysctl on the heap. */
    private static XenSysctl newSysctl() {
        assertEquals(136, XenSysctl.SIZE, "sizeof(struct xen_sysctl)");
        return new XenSysctl().wrap(MemorySegment.ofArray(new long[XenSysctl.SIZE / Long.BYTES]), 0);
    }

    @Test void sysctlSubopsReadAndWriteToolstackBuffers() {
        FakeDomainMemory m = hv.createDomain(5, 16, 1000);
        Caller g = hv.guest(5, AbiProfile.XEN_4_12);
        TmemOpCodec.encodeNewPool(AbiProfile.XEN_4_12, m.ram.asSlice(OPH, 56), 0, 0, 1 << 24);
        assertEquals(0, hv.tmemOp(g, OPH));
        long buf = InProcessHypervisor.ARENA_BASE + 4096;
        MemorySegment b = hv.arena.asSlice(4096, 4096);

        assertEquals(0, sysctl(OP_LIST, 0, 5, 4096, 0, buf));
        assertEquals("C=CI:5,ww:0,co:0,fr:0,Tc:0,Ge:0,Pp:0,Gp:0\nP=CI:5,PI:0,PT:EP,U0:0,U1:0\n",
                b.getString(0, StandardCharsets.US_ASCII));
        assertEquals(-1, sysctl(OP_LIST, 0, 9, 4096, 0, buf), "unknown client");

        // SET_CLIENT_INFO: weight 3, compress; then GET_CLIENT_INFO reads it back
        assertEquals(20, XenTmemClient.SIZE, "sizeof(struct xen_tmem_client)");
        XenTmemClient client = new XenTmemClient().wrap(b, 0);
        client.version(1).maxpools(16).nrPools(0).flags(CLIENT_FLAG_COMPRESS).weight(3);
        assertEquals(0, sysctl(OP_SET_CLIENT_INFO, 0, 5, XenTmemClient.SIZE, 0, buf));
        b.fill((byte) 0);
        assertEquals(0, sysctl(OP_GET_CLIENT_INFO, 0, 5, XenTmemClient.SIZE, 0, buf));
        assertEquals(1, client.version());
        assertEquals(16, client.maxpools());
        assertEquals(1, client.nrPools());
        assertEquals(CLIENT_FLAG_COMPRESS, client.flags());
        assertEquals(3, client.weight());
        assertEquals(-XenErrno.EFAULT, sysctl(OP_GET_CLIENT_INFO, 0, 5, XenTmemClient.SIZE, 0, 12));

        // GET_POOLS
        final int info = XenTmemPoolInfo.SIZE;
        assertEquals(32, info, "sizeof(struct xen_tmem_pool_info)");
        XenTmemPoolInfo pool = new XenTmemPoolInfo().wrap(b, 0);
        assertEquals(-XenErrno.EINVAL, sysctl(OP_GET_POOLS, 0, 5, info + 1, 0, buf));
        assertEquals(-XenErrno.E2BIG, sysctl(OP_GET_POOLS, 0, 5, 17 * info, 0, buf));
        assertEquals(-XenErrno.EINVAL, sysctl(OP_GET_POOLS, 0, 9, info, 0, buf), "no client");
        assertEquals(1, sysctl(OP_GET_POOLS, 0, 5, 2 * info, 0, buf));
        assertEquals(0x01000000, pool.flags());
        assertEquals(0, pool.id());

        // SET_AUTH for uuid {lo 0x11, hi 0x22}, then the guest's shared pool is really shared
        b.fill((byte) 0);
        pool.flags(POOL_INFO_AUTH).uuid(0, 0x11).uuid(1, 0x22);
        assertEquals(1, sysctl(OP_SET_AUTH, 0, 5, info, 0, buf));
        TmemOpCodec.encodeNewPool(AbiProfile.XEN_4_12, m.ram.asSlice(OPH, 56), 0x11, 0x22, (1 << 24) | POOL_SHARED);
        assertEquals(1, hv.tmemOp(g, OPH));
        assertTrue(hv.onDispatch(() -> hv.tmem.engine().client(5).pool(1).shared()));

        // SET_POOLS: create a persistent pool at slot 4 for a new client of domain 7
        hv.createDomain(7, 16, 1000);
        b.fill((byte) 0);
        pool.flags((1 << 24) | POOL_PERSIST).id(4);
        assertEquals(4, sysctl(OP_SET_POOLS, 0, 7, info, 0, buf), "rc ?: i: the last pool id");
        assertEquals(4, pool.id());
        pool.id(0).flags(1 << 24);
        assertEquals(1, sysctl(OP_SET_POOLS, 0, 7, info, 0, buf), "pool id 0 -> the count");
        pool.nPages(5);
        assertEquals(-XenErrno.EINVAL, sysctl(OP_SET_POOLS, 0, 7, info, 0, buf), "n_pages != 0");

        // the rest
        assertEquals(0, sysctl(OP_QUERY_FREEABLE_MB, 0, 0xFFFF, 0, 0, 0));
        assertEquals(0, sysctl(OP_FREEZE, 0, 5, 0, 0, 0));
        assertTrue(hv.onDispatch(() -> hv.tmem.engine().client(5).frozen()));
        assertEquals(0, sysctl(OP_THAW, 0, 0xFFFF, 0, 0, 0));
        assertEquals(-1, sysctl(OP_FLUSH, 0, 5, 0, 100, 0));
        assertEquals(0, sysctl(OP_FLUSH, 0, 0xFFFF, 0, 100, 0));
        assertEquals(-1, sysctl(OP_SAVE_GET_NEXT_PAGE, 0, 5, 8192, 0, buf), "pool 0 is ephemeral");
        assertEquals(-1, sysctl(55, 0, 5, 0, 0, 0));
        assertEquals(0, sysctl(OP_DESTROY, 0, 5, 0, 0, 0));
        assertEquals(0, (int) hv.onDispatch(() -> hv.tmem.engine().client(5).nrPools()));
    }

    @Test void sysctlWithNonZeroPadIsEinval() {
        XenSysctl x = newSysctl();
        x.tmemOp().cmd(OP_THAW).cliId(0xFFFF).pad(1);
        ControlOp cop = new ControlOp(hv.toolstack(AbiProfile.XEN_4_12), x.segment());
        assertEquals(-XenErrno.EINVAL, (long) hv.onDispatch(() -> hv.core.sysctls().get(24).invoke(cop)));
    }

    @Test void destroyingTheDomainFlushesItsClient() {
        FakeDomainMemory m = hv.createDomain(5, 16, 1000);
        Caller g = hv.guest(5, AbiProfile.XEN_4_12);
        TmemOpCodec.encodeNewPool(AbiProfile.XEN_4_12, m.ram.asSlice(OPH, 56), 0, 0, (1 << 24) | POOL_PERSIST);
        assertEquals(0, hv.tmemOp(g, OPH));
        fill(m, 1, 1);
        TmemOpCodec.encodePage(AbiProfile.XEN_4_12, m.ram.asSlice(OPH, 56), PUT_PAGE, 0, new TmemOid(1, 0, 0), 0, 1);
        assertEquals(1, hv.tmemOp(g, OPH));
        assertTrue(hv.onDispatch(() -> hv.core.domains().destroy(5)));
        assertNull(hv.onDispatch(() -> hv.tmem.engine().client(5)));
        assertEquals(0, m.totPages());
    }

    private long sysctlOid(int cmd, int poolId, int cliId, int len, int arg, long buf, TmemOid oid) {
        XenSysctl x = newSysctl();
        x.tmemOp().cmd(cmd).poolId(poolId).cliId(cliId).len(len).arg(arg)
                .oid(0, oid.oid0()).oid(1, oid.oid1()).oid(2, oid.oid2()).buf(buf);
        ControlOp cop = new ControlOp(hv.toolstack(AbiProfile.XEN_4_12), x.segment());
        return hv.onDispatch(() -> hv.core.sysctls().get(XEN_SYSCTL_tmem_op).invoke(cop));
    }

    @Test void saveStreamsPersistentPagesAndRestorePutsThemIntoAnotherDomain() {
        FakeDomainMemory m = hv.createDomain(5, 16, 1000);
        FakeDomainMemory m7 = hv.createDomain(7, 16, 1000);
        Caller g = hv.guest(5, AbiProfile.XEN_4_12);
        TmemOpCodec.encodeNewPool(AbiProfile.XEN_4_12, m.ram.asSlice(OPH, 56), 0, 0, (1 << 24) | POOL_PERSIST);
        assertEquals(0, hv.tmemOp(g, OPH));
        hv.onDispatch(() -> hv.tmem.control().setClientInfo(5, new TmemControl.ClientInfo(1, 16, 0, CLIENT_FLAG_COMPRESS, 0)));
        java.util.Map<TmemOid, byte[]> stored = new java.util.HashMap<>();
        for (int i = 0; i < 4; i++) {
            if (i % 2 == 0) fill(m, 1, 100 + i); else m.ram.asSlice(4096, 4096).fill((byte) ('a' + i)); // raw and LZO pages
            TmemOid oid = new TmemOid(i, 0, 9);
            TmemOpCodec.encodePage(AbiProfile.XEN_4_12, m.ram.asSlice(OPH, 56), PUT_PAGE, 0, oid, i, 1);
            assertEquals(1, hv.tmemOp(g, OPH));
            stored.put(oid, frame(m, 1));
        }
        long buf = InProcessHypervisor.ARENA_BASE + 4096;
        MemorySegment b = hv.arena.asSlice(4096, 8192);
        assertEquals(0, sysctl(OP_SAVE_BEGIN, 0, 5, 0, 1, 0));
        assertEquals(-XenErrno.ENOMEM, sysctl(OP_SAVE_GET_NEXT_PAGE, 0, 5, 4096, 0, buf), "room for handle + page needed");
        java.util.Map<TmemOid, byte[]> saved = new java.util.HashMap<>();
        java.util.Map<TmemOid, Integer> index = new java.util.HashMap<>();
        long rc;
        TmemHandle h = new TmemHandle().wrap(b, 0);
        assertEquals(32, TmemHandle.SIZE, "sizeof(struct tmem_handle)");
        while ((rc = sysctl(OP_SAVE_GET_NEXT_PAGE, 0, 5, 8192, 0, buf)) == 1) {
            TmemOid oid = new TmemOid(h.oid(0), h.oid(1), h.oid(2));
            assertEquals(0, h.poolId(), "pool id");
            index.put(oid, (int) h.index());
            saved.put(oid, b.asSlice(TmemHandle.SIZE, 4096).toArray(ValueLayout.JAVA_BYTE));
        }
        assertEquals(-1, rc, "end of the pool");
        assertEquals(stored.keySet(), saved.keySet());
        for (TmemOid o : stored.keySet()) assertArrayEquals(stored.get(o), saved.get(o), "page " + o);
        // a flush while migrating is reported by SAVE_GET_NEXT_INV
        TmemOpCodec.encodePage(AbiProfile.XEN_4_12, m.ram.asSlice(OPH, 56), FLUSH_PAGE, 0, new TmemOid(2, 0, 9), 2, 0);
        assertEquals(-XenErrno.EFROZEN, hv.tmemOp(g, OPH), "saving froze the client; the flush was done");
        assertEquals(1, sysctl(OP_SAVE_GET_NEXT_INV, 0, 5, TmemHandle.SIZE, 0, buf));
        assertEquals(2, h.index());
        assertEquals(2, h.oid(0));
        assertEquals(0, sysctl(OP_SAVE_GET_NEXT_INV, 0, 5, TmemHandle.SIZE, 0, buf));
        assertEquals(0, sysctl(OP_SAVE_END, 0, 5, 0, 0, 0));
        assertFalse(hv.onDispatch(() -> hv.tmem.engine().client(5).frozen()));

        // restore into domain 7
        assertEquals(0, sysctl(OP_RESTORE_BEGIN, 0, 7, 0, 0, 0));
        b.fill((byte) 0);
        new XenTmemPoolInfo().wrap(b, 0).flags((1 << 24) | POOL_PERSIST);
        assertEquals(1, sysctl(OP_SET_POOLS, 0, 7, XenTmemPoolInfo.SIZE, 0, buf), "pool 0 created: rc ?: count");
        assertEquals(-XenErrno.EINVAL, sysctlOid(OP_RESTORE_PUT_PAGE, 0, 7, 100, 0, buf, new TmemOid(0, 0, 9)));
        assertEquals(-1, sysctlOid(OP_RESTORE_PUT_PAGE, 3, 7, 4096, 0, buf, new TmemOid(0, 0, 9)), "no pool 3");
        for (TmemOid o : saved.keySet()) {
            MemorySegment.copy(MemorySegment.ofArray(saved.get(o)), 0, b, 0, 4096);
            assertEquals(1, sysctlOid(OP_RESTORE_PUT_PAGE, 0, 7, 4096, index.get(o), buf, o));
        }
        assertEquals(4, m7.totPages(), "restored persistent pages count in the new domain");
        Caller g7 = hv.guest(7, AbiProfile.XEN_4_12);
        for (TmemOid o : saved.keySet()) {
            TmemOpCodec.encodePage(AbiProfile.XEN_4_12, m7.ram.asSlice(OPH, 56), GET_PAGE, 0, o, index.get(o), 2);
            assertEquals(1, hv.tmemOp(g7, OPH));
            assertArrayEquals(saved.get(o), frame(m7, 2));
        }
    }
}
