package org.fallow.abi.xen;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class FlyweightTest {
    @Test
    void wrapsAtAnUnalignedOffsetAndWritesLittleEndian() {
        MemorySegment seg = MemorySegment.ofArray(new byte[200]);
        XenPodTarget t = new XenPodTarget().wrap(seg, 3);
        t.targetPages(0x0102030405060708L).domid(0xBEEF);
        assertEquals(0x08, seg.get(ValueLayout.JAVA_BYTE, 3));
        assertEquals(0x01, seg.get(ValueLayout.JAVA_BYTE, 10));
        assertEquals((byte) 0xEF, seg.get(ValueLayout.JAVA_BYTE, 3 + 32));
        assertEquals((byte) 0xBE, seg.get(ValueLayout.JAVA_BYTE, 3 + 33));
        assertEquals(0xBEEF, t.domid(), "u16 widened unsigned");
        assertEquals(0, seg.get(ValueLayout.JAVA_BYTE, 2), "nothing written before the struct");
    }

    @Test
    void unsignedWideningInGetters() {
        TmemOp op = new TmemOp().wrapNew().cmd(0xFFFFFFFFL).poolId(-1).genIndex(0x80000000L);
        assertEquals(0xFFFFFFFFL, op.cmd());
        assertEquals(-1, op.poolId(), "pool_id is int32_t");
        assertEquals(0x80000000L, op.genIndex());
        XenMemPagingOp p = new XenMemPagingOp().wrapNew().op(0xFF);
        assertEquals(255, p.op());
    }

    @Test
    void wrapRejectsARangeOutsideTheSegment() {
        MemorySegment seg = MemorySegment.ofArray(new byte[55]);
        assertThrows(IndexOutOfBoundsException.class, () -> new TmemOp().wrap(seg, 0));
        MemorySegment ok = MemorySegment.ofArray(new byte[60]);
        assertThrows(IndexOutOfBoundsException.class, () -> new TmemOp().wrap(ok, 5));
        assertEquals(4, new TmemOp().wrap(ok, 4).offset());
    }

    @Test
    void arrayIndexIsChecked() {
        TmemOp op = new TmemOp().wrapNew();
        assertThrows(IndexOutOfBoundsException.class, () -> op.genOid(3));
        assertThrows(IndexOutOfBoundsException.class, () -> op.creatUuid(2, 1));
    }

    @Test
    void unionViewsShareBytes() {
        TmemOp op = new TmemOp().wrapNew().creatUuid(0, 0x1111).creatUuid(1, 0x2222);
        assertEquals(0x1111, op.genOid(0));
        assertEquals(0x2222, op.genOid(1));
        XenDomctl d = new XenDomctl().wrapNew();
        d.maxMem().maxMemkb(524288);
        assertEquals(524288, d.segment().get(XenLayouts.U64_UNALIGNED, 16));
        d.getdomaininfo().totPages(77);
        assertEquals(77, d.getdomaininfo().totPages());
        assertEquals(77, d.segment().get(XenLayouts.U64_UNALIGNED, 16 + 8));
    }

    @Test
    void nativeSegmentAndClear() {
        try (Arena arena = Arena.ofConfined()) {
            MulticallEntry e = new MulticallEntry().allocate(arena).op(38).args(5, -7);
            assertEquals(-7, e.args(5));
            e.clear();
            assertEquals(0, e.op());
            assertEquals(0, e.args(5));
        }
    }

    @Test
    void sharedRingInitAndGeometry() {
        MemorySegment page = MemorySegment.ofArray(new byte[4096]);
        page.fill((byte) 0x5a);
        VmEventSring s = new VmEventSring().wrap(page, 0).sharedRingInit();
        assertEquals(0, s.reqProd());
        assertEquals(1, s.reqEvent());
        assertEquals(0, s.rspProd());
        assertEquals(1, s.rspEvent());
        for (int i = 16; i < 64; i++) assertEquals(0, page.get(ValueLayout.JAVA_BYTE, i), "pvt/__pad byte " + i);
        assertEquals(0x5a, page.get(ValueLayout.JAVA_BYTE, 64), "entries untouched");

        RingGeometry g = RingGeometry.VM_EVENT_4K;
        assertEquals(8, g.ringSize());
        assertEquals(64, g.entryOffset(0));
        assertEquals(64 + 7 * 376, g.entryOffset(7));
        assertEquals(64, g.entryOffset(8), "free-running index wraps");
        assertEquals(64 + 376, g.entryOffset(0xFFFFFFFFL + 2));
        assertTrue(g.entryOffset(7) + 376 <= 4096);
        assertEquals(64, RingGeometry.of(4096, 40).ringSize(), "4.0 mem_event: 40-byte entries, 64 slots");
    }

    @Test
    void v7RingStillHoldsEightEntries() {
        assertEquals(400, VmEventRequest.SIZE_V7);
        assertEquals(8, RingGeometry.VM_EVENT_V7_4K.ringSize());
        assertEquals(64 + 7 * 400, RingGeometry.VM_EVENT_V7_4K.entryOffset(7));
    }

    @Test
    void toStringShowsScalarFieldsForLogs() {
        assertEquals("xen_mem_paging_op{unwrapped}", new XenMemPagingOp().toString());
        String s = new XenMemPagingOp().wrapNew().op(1).domain(5).gfn(0x42).toString();
        assertEquals("xen_mem_paging_op{op=1, domain=5, buffer=0x0, gfn=0x42}", s);
        String ring = new VmEventSring().wrap(MemorySegment.ofArray(new byte[64]), 0).reqEvent(1).toString();
        assertTrue(ring.startsWith("vm_event_sring{req_prod=0, req_event=1"), ring);
    }

    @Test
    void p2mNumberings() {
        assertEquals(0, P2mType.RAM_RW.xen412());
        assertEquals(1, P2mType.INVALID.xen412());
        assertEquals(6, P2mType.POPULATE_ON_DEMAND.xen412());
        assertEquals(9, P2mType.RAM_PAGING_OUT.xen412());
        assertEquals(10, P2mType.RAM_PAGED.xen412());
        assertEquals(11, P2mType.RAM_PAGING_IN.xen412());
        assertEquals(1, P2mType.RAM_RW.xen2009());
        assertEquals(0, P2mType.INVALID.xen2009());
        assertEquals(6, P2mType.POPULATE_ON_DEMAND.xen2009());
        assertEquals(P2mType.RAM_PAGING_IN_START, P2mType.from2009(12));
        assertEquals(P2mType.RAM_SHARED, P2mType.from2009(13));
        assertThrows(IllegalArgumentException.class, () -> P2mType.from412(-1));
        assertTrue(P2mType.RAM_PAGED.isPaging());
    }

    @Test
    void memoryOpEncoding() {
        long cmd = MemoryOpConstants.continuation(MemoryOpConstants.XENMEM_populate_physmap, 100);
        assertEquals(MemoryOpConstants.XENMEM_populate_physmap, MemoryOpConstants.cmd(cmd));
        assertEquals(100, MemoryOpConstants.startExtent(cmd));
        assertEquals(0x3f, MemoryOpConstants.MEMOP_CMD_MASK);
        assertEquals(0xFF, MemoryOpConstants.XENMEMF_get_node(0));
        assertEquals(2, MemoryOpConstants.XENMEMF_get_node(MemoryOpConstants.XENMEMF_node(2)));
    }
}
