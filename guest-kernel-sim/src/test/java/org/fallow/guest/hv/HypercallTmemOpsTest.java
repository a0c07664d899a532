package org.fallow.guest.hv;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The structs the guest writes into its argument frames, byte for byte. */
class HypercallTmemOpsTest {
    private final Arena arena = Arena.ofAuto();
    private final SegmentPhysMem mem = SegmentPhysMem.allocate(arena, 8);
    private final HypercallArgs args = new HypercallArgs(1, 2);
    private final List<String> seen = new ArrayList<>();

    private Hypercaller capture(int len) {
        return (op, a0, a1, a2, a3, a4) -> {
            long handle = op == Hypercalls.TMEM_OP ? a0 : a1;
            byte[] b = new byte[len];
            for (int i = 0; i < len; i++) b[i] = mem.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, handle + i);
            seen.add(op + ":" + (op == Hypercalls.MEMORY_OP ? a0 + ":" : "") + HexFormat.of().formatHex(b));
            return 1;
        };
    }

    @Test void putPageMatchesTheReferenceVector() {
        HypercallTmemOps t = new HypercallTmemOps(capture(56), mem, args, AbiProfile.XEN_4_12);
        // dirty the argument frame first: every field must be rewritten
        mem.segment().asSlice(4096, 4096).fill((byte) 0xAA);
        assertEquals(1, t.putPage(3, 1, 2, 3, 7, 0x1234));
        assertEquals("38:" + "04000000" + "03000000" + "0100000000000000" + "0200000000000000" + "0300000000000000"
                + "07000000" + "00000000" + "00000000" + "00000000" + "3412000000000000", seen.getFirst());
    }

    @Test void newPoolCarriesUuidAndFlags() {
        HypercallTmemOps t = new HypercallTmemOps(capture(32), mem, args, AbiProfile.XEN_4_12);
        t.newPool(0x1122334455667788L, 0x99AABBCCDDEEFF00L, 0x01000002);
        assertEquals("38:" + "01000000" + "00000000" + "8877665544332211" + "00ffeeddccbbaa99" + "02000001" + "00000000",
                seen.getFirst());
    }

    @Test void profile2009UsesFortyBytesAndSpecVersionZero() {
        HypercallTmemOps t = new HypercallTmemOps(capture(40), mem, args, AbiProfile.TMEM_2009);
        t.getPage(2, 0x15, 0, 0, 0x1234, 0x77);
        assertEquals("38:" + "05000000" + "02000000" + "1500000000000000" + "34120000" + "00000000" + "00000000"
                + "00000000" + "7700000000000000", seen.get(0));
        t.newPool(0, 0, 0x01000001);
        assertEquals("38:" + "01000000" + "00000000" + "0000000000000000" + "0000000000000000" + "01000000" + "00000000"
                + "0000000000000000", seen.get(1));
    }

    @Test void reservationStructAndExtentList() {
        HypercallMemoryOps m = new HypercallMemoryOps(capture(32), mem, args);
        m.decreaseReservation(new long[]{0x10, 0x11, 0x2000}, 3);
        assertEquals("12:1:" + "0020000000000000" + "0300000000000000" + "00000000" + "00000000" + "f07f" + "000000000000",
                seen.getFirst());
        assertEquals(0x10, mem.readLong(args.extentGpa()));
        assertEquals(0x11, mem.readLong(args.extentGpa() + 8));
        assertEquals(0x2000, mem.readLong(args.extentGpa() + 16));
    }

    @Test void theAbiModuleFlyweightsReadWhatTheGuestWrote() {
        new HypercallTmemOps((op, a0, a1, a2, a3, a4) -> 1, mem, args, AbiProfile.XEN_4_12)
                .getPage(5, 0x15, 0x16, 0x17, 0x1234, 0x99);
        var op = new org.fallow.abi.xen.TmemOp().wrap(mem.segment(), args.structGpa());
        assertEquals(5, op.cmd());
        assertEquals(5, op.poolId());
        assertEquals(0x15, op.genOid(0));
        assertEquals(0x17, op.genOid(2));
        assertEquals(0x1234, op.genIndex());
        assertEquals(0x99, op.genCmfn());
        new HypercallMemoryOps((op2, a0, a1, a2, a3, a4) -> 2, mem, args).populatePhysmap(new long[]{7, 8}, 2);
        var r = new org.fallow.abi.xen.XenMemoryReservation().wrap(mem.segment(), args.structGpa());
        assertEquals(args.extentGpa(), r.extentStart());
        assertEquals(2, r.nrExtents());
        assertEquals(0, r.extentOrder());
        assertEquals(0x7FF0, r.domid());
    }
}
