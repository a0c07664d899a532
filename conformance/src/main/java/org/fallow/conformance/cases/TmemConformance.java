package org.fallow.conformance.cases;

import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.TmemOp;
import org.fallow.conformance.Guest;
import org.fallow.conformance.Toolstack;
import org.fallow.conformance.Wire;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.fallow.abi.xen.TmemConstants.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * tmem_op (38) at 4.12 as a guest (Xen 4.12 common/tmem.c do_tmem_op): the 56-byte tmem_op lives at guest-physical gfn 1, the page
 * to put at gfn 2, the get destination at gfn 3.
 */
@DisplayName("tmem_op 4.12 (Xen 4.12 common/tmem.c do_tmem_op)")
class TmemConformance extends CaseSupport {
    static final long OP_GFN = 1, SRC_GFN = 2, DST_GFN = 3;

    private static long tmem(Guest g, int cmd, int pool, java.util.function.Consumer<TmemOp> fill) throws Exception {
        TmemOp op = new TmemOp().wrap(g.page(OP_GFN), 0).clear().cmd(cmd).poolId(pool);
        if (fill != null) fill.accept(op);
        return g.hypercall(Hypercalls.TMEM_OP, Guest.gpa(OP_GFN, 0));
    }

    static long newPool(Guest g, int flags) throws Exception {
        return tmem(g, TMEM_NEW_POOL, 0, op -> op.creatUuid(0, 0).creatUuid(1, 0).creatFlags(flags));
    }

    static long page(Guest g, int cmd, int pool, long index, long gfn) throws Exception {
        return tmem(g, cmd, pool, op -> op.genOid(1, 2, 3).genIndex(index).genCmfn(gfn));
    }

    @Test @DisplayName("NEW_POOL, PUT 1, GET 1 with the bytes in the cmfn frame, exclusive get 0, -EEMPTY, FLUSH 1, DESTROY 1 then 0")
    void poolLifecycle() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 32, 8).connect(target(), Wire.PROFILE_412)) {
            int pool = (int) newPool(g, poolFlags(false, false, TMEM_SPEC_VERSION));
            assertTrue(pool >= 0 && pool < 16, "pool id " + pool);
            assertEquals(TmemCalls.RC_EEMPTY, page(g, TMEM_GET_PAGE, pool, 7, DST_GFN), "get from an empty pool");

            MemorySegment src = g.page(SRC_GFN);
            for (int i = 0; i < Guest.PAGE; i++) src.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + 7));
            byte[] expected = src.toArray(ValueLayout.JAVA_BYTE);
            assertEquals(1, page(g, TMEM_PUT_PAGE, pool, 7, SRC_GFN), "put");
            g.page(DST_GFN).fill((byte) 0);
            assertEquals(0, page(g, TMEM_GET_PAGE, pool, 8, DST_GFN), "get of a missing index");
            assertEquals(1, page(g, TMEM_GET_PAGE, pool, 7, DST_GFN), "get");
            assertArrayEquals(expected, g.page(DST_GFN).toArray(ValueLayout.JAVA_BYTE), "page bytes in the cmfn frame");
            assertEquals(TmemCalls.RC_EEMPTY, page(g, TMEM_GET_PAGE, pool, 7, DST_GFN), "exclusive get emptied the pool");

            assertEquals(1, page(g, TMEM_PUT_PAGE, pool, 7, SRC_GFN));
            assertEquals(1, page(g, TMEM_PUT_PAGE, pool, 9, SRC_GFN));
            assertEquals(0, page(g, TMEM_GET_PAGE, pool, 10, DST_GFN), "miss in a non-empty pool");
            assertEquals(1, page(g, TMEM_FLUSH_PAGE, pool, 7, 0), "flush");
            assertEquals(1, page(g, TMEM_FLUSH_PAGE, pool, 7, 0), "flush of a missing page");
            assertEquals(0, page(g, TMEM_GET_PAGE, pool, 7, DST_GFN), "flushed page is gone");
            assertEquals(1, page(g, TMEM_FLUSH_OBJECT, pool, 0, 0), "flush object");
            assertEquals(1, tmem(g, TMEM_DESTROY_POOL, pool, null), "destroy");
            assertEquals(0, tmem(g, TMEM_DESTROY_POOL, pool, null), "destroy again");
            assertEquals(0, tmem(g, TMEM_DESTROY_POOL, 99, null), "destroy out of range");
        }
    }

    @Test @DisplayName("NEW_POOL flag checks return -EPERM; ids are the lowest free slot")
    void newPoolFlags() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 32, 8).connect(target(), Wire.PROFILE_412)) {
            assertEquals(-XenErrno.EPERM, newPool(g, poolFlags(false, false, 0)), "spec version 0");
            assertEquals(-XenErrno.EPERM, newPool(g, poolFlags(true, true, TMEM_SPEC_VERSION)), "shared + persistent");
            assertEquals(-XenErrno.EPERM, newPool(g, poolFlags(false, false, TMEM_SPEC_VERSION) | 1 << TMEM_POOL_PAGESIZE_SHIFT), "pagebits");
            assertEquals(-XenErrno.EPERM, newPool(g, poolFlags(false, false, TMEM_SPEC_VERSION) | TMEM_POOL_PRECOMPRESSED), "precompressed");
            assertEquals(-XenErrno.EPERM, newPool(g, poolFlags(false, false, TMEM_SPEC_VERSION) | 0x100), "reserved bit");
            assertEquals(0, newPool(g, poolFlags(false, false, TMEM_SPEC_VERSION)));
            assertEquals(1, newPool(g, poolFlags(true, false, TMEM_SPEC_VERSION)));
            assertEquals(1, tmem(g, TMEM_DESTROY_POOL, 0, null));
            assertEquals(0, newPool(g, poolFlags(false, false, TMEM_SPEC_VERSION)), "lowest free slot reused");
        }
    }

    @Test @DisplayName("bad pool -ENODEV, unknown cmd -ENOSYS, CONTROL (0) -EOPNOTSUPP, bad handle -EFAULT")
    void errors() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 32, 8).connect(target(), Wire.PROFILE_412)) {
            assertEquals(-XenErrno.EOPNOTSUPP, tmem(g, TMEM_CONTROL, 0, null));
            assertEquals(-XenErrno.EOPNOTSUPP, tmem(g, TMEM_AUTH, 0, null));
            assertEquals(-XenErrno.ENODEV, page(g, TMEM_PUT_PAGE, 5, 0, SRC_GFN), "empty slot");
            assertEquals(-XenErrno.ENODEV, page(g, TMEM_GET_PAGE, 16, 0, DST_GFN), "pool id 16");
            assertEquals(-XenErrno.ENODEV, page(g, TMEM_GET_PAGE, -1, 0, DST_GFN), "pool id -1");
            int pool = (int) newPool(g, poolFlags(false, false, TMEM_SPEC_VERSION));
            assertEquals(-XenErrno.ENOSYS, tmem(g, 50, pool, null), "unknown cmd");
            assertEquals(-XenErrno.ENOSYS, tmem(g, TMEM_NEW_PAGE, pool, null), "NEW_PAGE is gone at 4.12");
            assertEquals(-XenErrno.EFAULT, page(g, TMEM_PUT_PAGE, pool, 1, 20), "cmfn not RAM");
            assertEquals(-XenErrno.EFAULT, g.hypercall(Hypercalls.TMEM_OP, Guest.gpa(20, 0)), "tmem_op in a non-RAM frame");
        }
    }
}
