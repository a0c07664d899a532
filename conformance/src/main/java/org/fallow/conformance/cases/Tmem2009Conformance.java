package org.fallow.conformance.cases;

import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.TmemOp2009;
import org.fallow.conformance.Guest;
import org.fallow.conformance.Toolstack;
import org.fallow.conformance.Wire;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

import static org.fallow.abi.xen.TmemConstants.*;
import static org.junit.jupiter.api.Assertions.*;

/** The 2009 profile (HELLO profile 2): 40-byte tmem_op of 6009f4ddb2, TMEM_CONTROL in the hypercall (the 2009 tmem ABI, commit 6009f4ddb2). */
@DisplayName("tmem_op 2009 profile (the 2009 tmem ABI, commit 6009f4ddb2)")
class Tmem2009Conformance extends CaseSupport {
    static final long OP_GFN = 1, SRC_GFN = 2, DST_GFN = 3, BUF_GFN = 4;

    private static TmemOp2009 op(Guest g, int cmd, int pool) {
        return new TmemOp2009().wrap(g.page(OP_GFN), 0).clear().cmd(cmd).poolId(pool);
    }

    private static long call(Guest g) throws Exception { return g.hypercall(Hypercalls.TMEM_OP, Guest.gpa(OP_GFN, 0)); }

    @Test @DisplayName("layout: 40 bytes, u.ctrl.buf at offset 24")
    void layout() {
        assertEquals(40, TmemOp2009.SIZE);
        assertEquals(24, TmemOp2009.CTRL_BUF_OFFSET);
    }

    @Test @DisplayName("NEW_POOL needs spec version 0; PUT/GET 1; unknown cmd returns 0; DESTROY_POOL of a missing pool -ENODEV")
    void pools() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 32, 8).connect(target(), Wire.PROFILE_2009)) {
            op(g, TMEM_NEW_POOL, 0).newFlags(poolFlags(false, false, 1));
            assertEquals(-XenErrno.EPERM, call(g), "spec version 1 in the 2009 ABI");
            op(g, TMEM_NEW_POOL, 0).newFlags(poolFlags(false, false, TMEM_SPEC_VERSION_2009));
            long pool = call(g);
            assertTrue(pool >= 0 && pool < 16, "pool id " + pool);

            for (int i = 0; i < Guest.PAGE; i++) g.page(SRC_GFN).set(ValueLayout.JAVA_BYTE, i, (byte) (i ^ 0x5A));
            op(g, TMEM_PUT_PAGE, (int) pool).genObject(0x42).genIndex(3).genCmfn(SRC_GFN);
            assertEquals(1, call(g), "put");
            g.page(DST_GFN).fill((byte) 0);
            op(g, TMEM_GET_PAGE, (int) pool).genObject(0x42).genIndex(3).genCmfn(DST_GFN);
            assertEquals(1, call(g), "get");
            assertArrayEquals(g.page(SRC_GFN).toArray(ValueLayout.JAVA_BYTE), g.page(DST_GFN).toArray(ValueLayout.JAVA_BYTE));

            op(g, 50, (int) pool);
            assertEquals(0, call(g), "unknown cmd with a valid pool");
            op(g, TMEM_DESTROY_POOL, (int) pool);
            assertEquals(1, call(g), "destroy");
            op(g, TMEM_DESTROY_POOL, (int) pool);
            assertEquals(-XenErrno.ENODEV, call(g), "destroy of a missing pool goes through the pool check in 2009");
        }
    }

    @Test @DisplayName("TMEM_CONTROL LIST from the toolstack returns 0 and writes G=, C= and P= lines into u.ctrl.buf")
    void controlList() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 32, 8).connect(target(), Wire.PROFILE_2009);
             Toolstack ts2009 = Toolstack.connect(target(), Wire.PROFILE_2009)) {
            op(g, TMEM_NEW_POOL, 0).newFlags(poolFlags(false, false, TMEM_SPEC_VERSION_2009));
            assertEquals(0, call(g));
            Toolstack.Buf buf = ts2009.alloc(Guest.PAGE);
            Toolstack.Buf opBuf = ts2009.alloc(TmemOp2009.SIZE);
            new TmemOp2009().wrap(opBuf.seg(), 0).cmd(TMEM_CONTROL).poolId(-1).ctrlSubop(TMEMC_LIST)
                    .ctrlCliId(0xFFFF_FFFFL).ctrlArg1(Guest.PAGE).ctrlArg2(0).ctrlBuf(buf.handle());
            assertEquals(0, ts2009.hypercall(Hypercalls.TMEM_OP, opBuf.handle()));
            String text = cString(buf.seg().toArray(ValueLayout.JAVA_BYTE));
            assertTrue(text.startsWith("G=Tt:"), () -> "LIST text: " + text);
            assertTrue(text.contains("\nC=CI:" + g.domid() + ",ww:0,ca:0,co:"), () -> "2009 C= line (with ca:) of d" + g.domid() + " in: " + text);
            assertTrue(text.contains("\nP=CI:" + g.domid() + ",PI:0,PT:EP"), () -> "P= line in: " + text);
        }
    }

    @Test @DisplayName("TMEM_CONTROL from a guest returns -EPERM (docs/DEVIATIONS.md: 2009 had no privilege check)")
    void controlFromGuest() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 32, 8).connect(target(), Wire.PROFILE_2009)) {
            op(g, TMEM_CONTROL, -1).ctrlSubop(TMEMC_LIST).ctrlCliId(0xFFFF_FFFFL).ctrlArg1(Guest.PAGE).ctrlBuf(Guest.gpa(BUF_GFN, 0));
            assertEquals(-XenErrno.EPERM, call(g));
        }
    }

    static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }
}
