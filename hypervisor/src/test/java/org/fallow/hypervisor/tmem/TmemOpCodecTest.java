package org.fallow.hypervisor.tmem;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.xen.TmemOp;
import org.fallow.abi.xen.TmemOp2009;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.*;

/** The hypercall layer's decoding against C programs compiled against the real Xen headers vectors and the abi module's flyweights. */
class TmemOpCodecTest {
    static byte[] hex(String s) { return HexFormat.of().parseHex(s.replaceAll("[^0-9a-fA-F]", "")); }

    @Test void putPage412VectorDecodes() {
        byte[] v = hex("04000000 03000000 | 0100000000000000 0200000000000000 0300000000000000 |"
                + " 07000000 00000000 00000000 00000000 | 3412000000000000");
        TmemRequest r = TmemOpCodec.decode(AbiProfile.XEN_4_12, MemorySegment.ofArray(v));
        assertEquals(4, r.cmd());
        assertEquals(3, r.poolId());
        assertEquals(new TmemOid(1, 2, 3), r.oid());
        assertEquals(7, r.index());
        assertEquals(0x1234, r.cmfn());
        MemorySegment enc = MemorySegment.ofArray(new byte[56]);
        TmemOpCodec.encodePage(AbiProfile.XEN_4_12, enc, 4, 3, new TmemOid(1, 2, 3), 7, 0x1234);
        assertArrayEquals(v, enc.toArray(ValueLayout.JAVA_BYTE));
    }

    @Test void putPage2009VectorDecodes() {
        byte[] v = hex("04000000 03000000 | 0100000000000000 07000000 00000000 00000000 00000000 | 3412000000000000");
        TmemRequest r = TmemOpCodec.decode(AbiProfile.TMEM_2009, MemorySegment.ofArray(v));
        assertEquals(4, r.cmd());
        assertEquals(TmemOid.of2009(1), r.oid());
        assertEquals(7, r.index());
        assertEquals(0x1234, r.cmfn());
        MemorySegment enc = MemorySegment.ofArray(new byte[40]);
        TmemOpCodec.encodePage(AbiProfile.TMEM_2009, enc, 4, 3, TmemOid.of2009(1), 7, 0x1234);
        assertArrayEquals(v, enc.toArray(ValueLayout.JAVA_BYTE));
    }

    @Test void agreesWithTheAbiFlyweights() {
        TmemOp op = new TmemOp().wrapNew().cmd(1).poolId(-1).creatUuid(0, 0x1111).creatUuid(1, 0x2222).creatFlags(0x01000003);
        TmemRequest n = TmemOpCodec.decode(AbiProfile.XEN_4_12, op.slice());
        assertEquals(0x1111, n.uuid0());
        assertEquals(0x2222, n.uuid1());
        assertEquals(0x01000003, n.flags());
        assertEquals(-1, n.poolId());
        TmemOp g = new TmemOp().wrapNew().cmd(5).genOid(-1, 5, 6).genIndex(0xFFFFFFFFL).genTmemOffset(1).genPfnOffset(2).genLen(3).genCmfn(-2);
        TmemRequest r = TmemOpCodec.decode(AbiProfile.XEN_4_12, g.slice());
        assertEquals(new TmemOid(-1, 5, 6), r.oid());
        assertEquals(-1, r.index());
        assertEquals(1, r.tmemOffset());
        assertEquals(2, r.pfnOffset());
        assertEquals(3, r.len());
        assertEquals(-2, r.cmfn());
        TmemOp2009 c = new TmemOp2009().wrapNew().cmd(0).poolId(-1).ctrlSubop(4).ctrlCliId(0xFFFFFFFFL).ctrlArg1(4096).ctrlArg2(1).ctrlBuf(0x7f0000001000L);
        TmemRequest cr = TmemOpCodec.decode(AbiProfile.TMEM_2009, c.slice());
        assertEquals(4, cr.subop());
        assertEquals(-1, cr.cliId());
        assertEquals(4096, cr.arg1());
        assertEquals(1, cr.arg2());
        assertEquals(0x7f0000001000L, cr.buf());
        MemorySegment mine = MemorySegment.ofArray(new byte[40]);
        TmemOpCodec.encodeControl2009(mine, -1, 4, -1, 4096, 1, 0x7f0000001000L);
        assertArrayEquals(c.toBytes(), mine.toArray(ValueLayout.JAVA_BYTE));
        TmemOp2009 g9 = new TmemOp2009().wrapNew().cmd(9).genObject(77).genIndex(2).genTmemOffset(10).genPfnOffset(20).genLen(30).genCmfn(99);
        TmemRequest w = TmemOpCodec.decode(AbiProfile.TMEM_2009, g9.slice());
        assertEquals(TmemOid.of2009(77), w.oid());
        assertEquals(2, w.index());
        assertEquals(10, w.tmemOffset());
        assertEquals(20, w.pfnOffset());
        assertEquals(30, w.len());
        assertEquals(99, w.cmfn());
    }
}
