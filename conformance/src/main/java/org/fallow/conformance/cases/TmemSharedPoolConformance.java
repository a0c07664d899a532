package org.fallow.conformance.cases;

import org.fallow.abi.xen.XenTmemPoolInfo;
import org.fallow.conformance.Guest;
import org.fallow.conformance.Toolstack;
import org.fallow.conformance.Wire;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.fallow.abi.xen.TmemConstants.*;
import static org.fallow.conformance.cases.TmemCalls.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * tmem shared ephemeral pools (Xen 4.12 common/tmem.c do_tmem_op NEW_POOL, §2.5 SET_AUTH): two domains authorised for a uuid with
 * XEN_SYSCTL_TMEM_OP_SET_AUTH join one pool; a third, unauthorised domain asking for the same uuid silently gets a
 * private pool.
 */
@DisplayName("tmem shared pools (Xen 4.12 common/tmem.c do_tmem_op; Xen 4.12 common/tmem_control.c, public/sysctl.h SET_AUTH)")
class TmemSharedPoolConformance extends CaseSupport {
    private static final long UUID0 = 0x0123_4567_89AB_CDEFL, UUID1 = 0x7EDC_BA98_7654_3210L;
    private static final int SHARED = poolFlags(false, true, TMEM_SPEC_VERSION);
    /** xen_tmem_pool_info.flags.raw of a shared / private ephemeral pool of spec version 1. */
    private static final int FLAGS_RAW_SHARED = XenTmemPoolInfo.FLAG_SHARED | TMEM_SPEC_VERSION << XenTmemPoolInfo.VERSION_SHIFT,
            FLAGS_RAW_PRIVATE = TMEM_SPEC_VERSION << XenTmemPoolInfo.VERSION_SHIFT;

    private static PoolInfo onlyPool(Toolstack ts, int domid) throws Exception {
        Toolstack.Buf b = ts.alloc(2L * POOL_INFO_SIZE);
        assertEquals(1, sysctl(ts, XEN_SYSCTL_TMEM_OP_GET_POOLS, 0, domid, 2L * POOL_INFO_SIZE, 0, b.handle()),
                "GET_POOLS of d" + domid + " writes one entry");
        return PoolInfo.read(b.seg(), 0);
    }

    @Test @DisplayName("SET_AUTH 1 for two domains; both NEW_POOL shared with the uuid join one pool: a put by one is got (non-exclusively) by the other")
    void authorisedDomainsShareAPool() throws Exception {
        try (Toolstack ts = Toolstack.connect(target());
             Guest a = Guest.create(ts, 32, 8).connect(target(), Wire.PROFILE_412);
             Guest b = Guest.create(ts, 32, 8).connect(target(), Wire.PROFILE_412);
             Guest c = Guest.create(ts, 32, 8).connect(target(), Wire.PROFILE_412)) {
            assertEquals(1, setAuth(ts, a.domid(), UUID0, UUID1, true), "SET_AUTH add returns 1");
            assertEquals(1, setAuth(ts, b.domid(), UUID0, UUID1, true), "SET_AUTH add returns 1");

            assertEquals(0, newPool(a, SHARED, UUID0, UUID1), "a's shared pool in slot 0");
            assertEquals(0, newPool(b, poolFlags(false, false, TMEM_SPEC_VERSION), 0, 0), "b's private pool in slot 0");
            assertEquals(1, newPool(b, SHARED, UUID0, UUID1), "b joins in its lowest free slot, 1");
            assertEquals(0, newPool(c, SHARED, UUID0, UUID1), "unauthorised: a private pool, success");

            byte[] put = fillSource(a, 5);
            assertEquals(1, page(a, TMEM_PUT_PAGE, 0, 42, SRC_GFN), "a puts");
            b.page(DST_GFN).fill((byte) 0);
            assertEquals(1, page(b, TMEM_GET_PAGE, 1, 42, DST_GFN), "b gets a's page");
            assertArrayEquals(put, destination(b), "the bytes a put");
            b.page(DST_GFN).fill((byte) 0);
            assertEquals(1, page(b, TMEM_GET_PAGE, 1, 42, DST_GFN), "shared gets are not exclusive");
            assertArrayEquals(put, destination(b));
            assertEquals(1, page(a, TMEM_GET_PAGE, 0, 42, DST_GFN), "still there for a");
            assertEquals(RC_EEMPTY, page(b, TMEM_GET_PAGE, 0, 42, DST_GFN), "b's private pool does not see it");
            assertEquals(RC_EEMPTY, page(c, TMEM_GET_PAGE, 0, 42, DST_GFN), "c's private pool does not see it");

            PoolInfo pa = onlyPool(ts, a.domid());
            assertEquals(new PoolInfo(FLAGS_RAW_SHARED, 0, 1, UUID0, UUID1), pa, "a's GET_POOLS entry");
            PoolInfo pc = onlyPool(ts, c.domid());
            assertEquals(FLAGS_RAW_PRIVATE, pc.flags(), "c's pool is private (flags.raw)");
            assertEquals(0, pc.id());
            assertEquals(0, pc.nPages());

            // b's second page lands in the pool a sees
            byte[] put2 = fillSource(b, 77);
            assertEquals(1, page(b, TMEM_PUT_PAGE, 1, 43, SRC_GFN), "b puts");
            a.page(DST_GFN).fill((byte) 0);
            assertEquals(1, page(a, TMEM_GET_PAGE, 0, 43, DST_GFN), "a gets b's page");
            assertArrayEquals(put2, destination(a));
            assertEquals(1, tmem(b, TMEM_DESTROY_POOL, 1, null), "b leaves");
            assertEquals(1, page(a, TMEM_GET_PAGE, 0, 42, DST_GFN), "the pool lives on for a");
        }
    }

    @Test @DisplayName("a sharer leaving flushes the objects it last put (Fallow: DEVIATIONS.md tmem 'last_client of a shared-pool object is the domain that put or got it')")
    void leavingSharerFlushesItsObjects() throws Exception {
        long u0 = 0x5EED_0000_0000_0001L, u1 = 0x5EED_0000_0000_0002L;
        try (Toolstack ts = Toolstack.connect(target());
             Guest a = Guest.create(ts, 32, 8).connect(target(), Wire.PROFILE_412);
             Guest b = Guest.create(ts, 32, 8).connect(target(), Wire.PROFILE_412)) {
            assertEquals(1, setAuth(ts, a.domid(), u0, u1, true));
            assertEquals(1, setAuth(ts, b.domid(), u0, u1, true));
            assertEquals(0, newPool(a, SHARED, u0, u1), "a creates (and owns) the pool");
            assertEquals(0, newPool(b, SHARED, u0, u1), "b joins");
            fillSource(a, 1);
            assertEquals(1, page(a, TMEM_PUT_PAGE, 0, 1, SRC_GFN), "a's object");
            fillSource(b, 2);
            assertEquals(1, tmem(b, TMEM_PUT_PAGE, 0, op -> op.genOid(0, 99).genIndex(2).genCmfn(SRC_GFN)), "b's object (another oid)");
            assertEquals(2, onlyPool(ts, a.domid()).nPages());
            assertEquals(1, tmem(b, TMEM_DESTROY_POOL, 0, null), "b leaves");
            assertEquals(1, onlyPool(ts, a.domid()).nPages(), "the object b put went with b");
            assertEquals(0, tmem(a, TMEM_GET_PAGE, 0, op -> op.genOid(0, 99).genIndex(2).genCmfn(DST_GFN)), "b's page is gone");
            assertEquals(1, page(a, TMEM_GET_PAGE, 0, 1, DST_GFN), "a's page stays");
        }
    }

    @Test @DisplayName("SET_AUTH 0 removes the uuid: a later shared NEW_POOL gets a private pool; removing an unknown uuid returns the count 1")
    void revokedAuthorisationGivesAPrivatePool() throws Exception {
        try (Toolstack ts = Toolstack.connect(target());
             Guest a = Guest.create(ts, 32, 8).connect(target(), Wire.PROFILE_412);
             Guest b = Guest.create(ts, 32, 8).connect(target(), Wire.PROFILE_412)) {
            assertEquals(1, setAuth(ts, a.domid(), UUID1, UUID0, true));
            assertEquals(1, setAuth(ts, b.domid(), UUID1, UUID0, true));
            assertEquals(1, setAuth(ts, b.domid(), UUID1, UUID0, false), "remove of a listed uuid returns 1");
            assertEquals(1, setAuth(ts, b.domid(), UUID1, UUID0, false), "remove of an unknown uuid: rc 0 → the count i = 1");
            assertEquals(0, newPool(a, SHARED, UUID1, UUID0));
            assertEquals(0, newPool(b, SHARED, UUID1, UUID0));
            fillSource(a, 9);
            assertEquals(1, page(a, TMEM_PUT_PAGE, 0, 1, SRC_GFN));
            assertEquals(RC_EEMPTY, page(b, TMEM_GET_PAGE, 0, 1, DST_GFN), "b's pool is its own");
            assertEquals(FLAGS_RAW_PRIVATE, onlyPool(ts, b.domid()).flags());
            assertEquals(FLAGS_RAW_SHARED, onlyPool(ts, a.domid()).flags());
        }
    }
}
