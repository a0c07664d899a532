package org.fallow.abi.xen;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Hex vectors of C programs compiled against the real Xen headers (produced there by C programs against the real headers: memset 0, fill the
 * named fields, dump the bytes). The expected hex is written out by hand from the document, never computed by Fallow.
 * Each struct is built with its flyweight, compared byte for byte, then read back through the getters.
 */
class GoldenVectorsTest {
    private static byte[] hex(String spaced) {
        return HexFormat.of().parseHex(spaced.replaceAll("[\\s|]", ""));
    }

    @Test
    void tmemOpPutPage412() {
        byte[] expected = hex("04000000 03000000 | 0100000000000000 0200000000000000 0300000000000000 |"
                + " 07000000 00000000 00000000 00000000 | 3412000000000000");
        TmemOp op = new TmemOp().wrapNew().cmd(TmemConstants.TMEM_PUT_PAGE).poolId(3).genOid(1, 2, 3).genIndex(7).genCmfn(0x1234);
        assertArrayEquals(expected, op.toBytes());
        TmemOp back = new TmemOp().wrapNew().fromBytes(expected);
        assertEquals(4, back.cmd());
        assertEquals(3, back.poolId());
        assertEquals(3, back.genOid(2));
        assertEquals(7, back.genIndex());
        assertEquals(0x1234, back.genCmfn());
    }

    @Test
    void tmemOpNewPoolPersistent412() {
        byte[] expected = hex("01000000 00000000 | 0000000000000000 0000000000000000 | 01000001 00000000 |"
                + " 00000000 00000000 00000000 00000000 0000000000000000");
        int flags = TmemConstants.poolFlags(true, false, TmemConstants.TMEM_SPEC_VERSION);
        assertEquals(0x01000001, flags);
        TmemOp op = new TmemOp().wrapNew().cmd(TmemConstants.TMEM_NEW_POOL).creatFlags(flags);
        assertArrayEquals(expected, op.toBytes());
        assertEquals(56, expected.length);
    }

    @Test
    void podTargetSet() {
        byte[] expected = hex("0000010000000000 0000000000000000 0000000000000000 0000000000000000 0500 000000000000");
        XenPodTarget t = new XenPodTarget().wrapNew().targetPages(65536).domid(5);
        assertArrayEquals(expected, t.toBytes());
        assertEquals(5, new XenPodTarget().wrap(java.lang.foreign.MemorySegment.ofArray(expected), 0).domid());
    }

    @Test
    void memoryReservationPod() {
        byte[] expected = hex("00100000007f0000 | 0002000000000000 | 00000000 | 00000100 | 0500 | 000000000000");
        XenMemoryReservation r = new XenMemoryReservation().wrapNew().extentStart(0x7f0000001000L).nrExtents(512)
                .extentOrder(0).memFlags(MemoryOpConstants.XENMEMF_populate_on_demand).domid(5);
        assertArrayEquals(expected, r.toBytes());
    }

    @Test
    void vmEventRequestMemPagingFirst56BytesAndZeroRest() {
        byte[] head = hex("04000000 01000000 03000000 01000000 0000 000000000000 4200000000000000 0a000000 00000000");
        assertEquals(40, head.length);
        byte[] expected = new byte[376];
        System.arraycopy(head, 0, expected, 0, head.length); // then 32 zero bytes of u, 320 of data
        VmEventRequest req = new VmEventRequest().wrapNew()
                .version(VmEventConstants.VM_EVENT_INTERFACE_VERSION)
                .flags(VmEventConstants.VM_EVENT_FLAG_VCPU_PAUSED)
                .reason(VmEventConstants.VM_EVENT_REASON_MEM_PAGING)
                .vcpuId(1)
                .gfn(0x42)
                .p2mt(P2mType.RAM_PAGED.xen412());
        assertArrayEquals(expected, req.toBytes());
        assertEquals(P2mType.RAM_PAGED, P2mType.from412(req.p2mt()));
    }

    @Test
    void memPagingOpNominate() {
        byte[] expected = hex("00 00 0500 00000000 | 0000000000000000 | 4200000000000000");
        XenMemPagingOp op = new XenMemPagingOp().wrapNew().op(MemoryOpConstants.XENMEM_paging_op_nominate).domain(5).gfn(0x42);
        assertArrayEquals(expected, op.toBytes());
    }

    @Test
    void sysctlTmemListFirst64Bytes() {
        // sysctl 24 / LIST / all clients / 4096-byte buffer / long format
        byte[] expected = hex("18000000 12000000 | 04000000 00000000 ffff0000 00100000 01000000 00000000 |"
                + " 000000000000000000000000000000000000000000000000 | 0000000000000000");
        XenSysctl s = new XenSysctl().wrapNew().cmd(SysctlConstants.XEN_SYSCTL_tmem_op)
                .interfaceVersion(SysctlConstants.XEN_SYSCTL_INTERFACE_VERSION);
        s.tmemOp().cmd(TmemConstants.XEN_SYSCTL_TMEM_OP_LIST).cliId(TmemConstants.XEN_SYSCTL_TMEM_OP_ALL_CLIENTS)
                .len(4096).arg(1);
        byte[] all = s.toBytes();
        assertEquals(136, all.length);
        assertArrayEquals(expected, java.util.Arrays.copyOf(all, 64));
        for (int i = 64; i < 136; i++) assertEquals(0, all[i], "byte " + i);
    }

    @Test
    void domctlVmEventEnablePagingFirst32Bytes() {
        // domctl 56 / ENABLE / PAGING; the domain (5) is this test's choice, the vector leaves it open
        byte[] expected = hex("38000000 11000000 0500 000000000000 | 00000000 01000000 00000000 00000000");
        XenDomctl d = new XenDomctl().wrapNew().cmd(DomctlConstants.XEN_DOMCTL_vm_event_op)
                .interfaceVersion(DomctlConstants.XEN_DOMCTL_INTERFACE_VERSION).domain(5);
        d.vmEventOp().op(DomctlConstants.XEN_VM_EVENT_ENABLE).mode(DomctlConstants.XEN_DOMCTL_VM_EVENT_OP_PAGING);
        assertArrayEquals(expected, java.util.Arrays.copyOf(d.toBytes(), 32));
        // port is OUT at offset 24
        d.vmEventOp().port(0x1234);
        assertEquals(0x34, d.toBytes()[24]);
        assertEquals(0x12, d.toBytes()[25]);
    }

    @Test
    void tmemOpPutPage2009() {
        byte[] expected = hex("04000000 03000000 | 0100000000000000 07000000 00000000 00000000 00000000 | 3412000000000000");
        TmemOp2009 op = new TmemOp2009().wrapNew().cmd(TmemConstants.TMEM_PUT_PAGE).poolId(3).genObject(1).genIndex(7).genCmfn(0x1234);
        assertArrayEquals(expected, op.toBytes());
    }

    @Test
    void tmemOpControlList2009() {
        // CONTROL / TMEMC_LIST / cli -1 / 4096 / long: the 6009f4ddb2 vector of C programs compiled against the real Xen headers.
        byte[] expected = hex("00000000 00000000 | 04000000 ffffffff 00100000 01000000 | 0000000000000000 | 0000000000000000");
        TmemOp2009 op = new TmemOp2009().wrapNew().cmd(TmemConstants.TMEM_CONTROL).ctrlSubop(TmemConstants.TMEMC_LIST)
                .ctrlCliId(0xFFFFFFFFL).ctrlArg1(4096).ctrlArg2(1);
        assertArrayEquals(expected, op.toBytes());
        assertEquals(0xFFFFFFFFL, op.ctrlCliId());
        // a non-NULL buffer handle lands at offset 24, where seed 002's op.buf.p is (6009f4ddb2)
        op.ctrlBuf(0x1122334455667788L);
        assertEquals((byte) 0x88, op.toBytes()[24]);
        assertEquals((byte) 0x11, op.toBytes()[31]);
        assertNotEquals(TmemOp2009.CTRL_BUF_OFFSET_734A7F6677, TmemOp2009.CTRL_BUF_OFFSET);
    }
}
