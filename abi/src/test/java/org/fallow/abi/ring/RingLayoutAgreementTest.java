package org.fallow.abi.ring;

import org.fallow.abi.xen.RingGeometry;
import org.fallow.abi.xen.VmEventConstants;
import org.fallow.abi.xen.VmEventRequest;
import org.fallow.abi.xen.VmEventSring;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The ring code's offsets agree with the C-probe-checked struct layouts of org.fallow.abi.xen. */
class RingLayoutAgreementTest {
    @Test void sharedRingHeaderMatchesVmEventSring() {
        assertEquals(VmEventSring.REQ_PROD_OFFSET, SharedRing.REQ_PROD_OFFSET);
        assertEquals(VmEventSring.REQ_EVENT_OFFSET, SharedRing.REQ_EVENT_OFFSET);
        assertEquals(VmEventSring.RSP_PROD_OFFSET, SharedRing.RSP_PROD_OFFSET);
        assertEquals(VmEventSring.RSP_EVENT_OFFSET, SharedRing.RSP_EVENT_OFFSET);
        assertEquals(VmEventSring.PVT_OFFSET, SharedRing.PVT_OFFSET);
        assertEquals(VmEventSring.PAD_OFFSET, SharedRing.PAD_OFFSET);
        assertEquals(RingGeometry.VM_EVENT_4K.ringSize(), SharedRing.ringSize(4096, MemPagingEvent.SIZE));
        for (long idx : new long[] {0, 5, 8, 0xFFFFFFFFL})
            assertEquals(RingGeometry.VM_EVENT_4K.entryOffset(idx), new SharedRing(java.lang.foreign.Arena.ofAuto().allocate(4096, 4096), MemPagingEvent.SIZE).entryOffset((int) idx));
    }

    @Test void pagingEntryMatchesVmEventRequest() {
        assertEquals(VmEventRequest.SIZE, MemPagingEvent.SIZE);
        assertEquals(VmEventRequest.VERSION_OFFSET, MemPagingEvent.VERSION_OFFSET);
        assertEquals(VmEventRequest.FLAGS_OFFSET, MemPagingEvent.FLAGS_OFFSET);
        assertEquals(VmEventRequest.REASON_OFFSET, MemPagingEvent.REASON_OFFSET);
        assertEquals(VmEventRequest.VCPU_ID_OFFSET, MemPagingEvent.VCPU_ID_OFFSET);
        assertEquals(VmEventRequest.ALTP2M_IDX_OFFSET, MemPagingEvent.ALTP2M_IDX_OFFSET);
        assertEquals(VmEventRequest.MEM_PAGING_GFN_OFFSET, MemPagingEvent.GFN_OFFSET);
        assertEquals(VmEventRequest.MEM_PAGING_P2MT_OFFSET, MemPagingEvent.P2MT_OFFSET);
        assertEquals(VmEventRequest.MEM_PAGING_FLAGS_OFFSET, MemPagingEvent.PAGING_FLAGS_OFFSET);
        assertEquals(VmEventConstants.VM_EVENT_INTERFACE_VERSION, MemPagingEvent.VERSION_4_12);
        assertEquals(VmEventConstants.MEM_PAGING_DROP_PAGE, MemPagingEvent.MEM_PAGING_DROP_PAGE);
        assertEquals(VmEventConstants.MEM_PAGING_EVICT_FAIL, MemPagingEvent.MEM_PAGING_EVICT_FAIL);
        assertEquals(VmEventConstants.VM_EVENT_FLAG_VCPU_PAUSED, MemPagingEvent.FLAG_VCPU_PAUSED);
        assertEquals(VmEventConstants.VM_EVENT_FLAG_FOREIGN, MemPagingEvent.FLAG_FOREIGN);
    }
}
