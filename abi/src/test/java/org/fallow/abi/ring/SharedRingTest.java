package org.fallow.abi.ring;

import org.fallow.abi.xen.VmEventRequest;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.junit.jupiter.api.Assertions.*;

class SharedRingTest {
    private static final int ENTRY = VmEventRequest.SIZE;

    private final MemorySegment page = Arena.ofAuto().allocate(4096, 4096);
    private final SharedRing sring = new SharedRing(page, ENTRY);

    private int u32(long off) { return page.get(U32_UNALIGNED, off); }

    @Test void vmEventRingInAPageHoldsEightEntries() {
        assertEquals(8, sring.size());
        assertEquals(64, SharedRing.ringSize(4096, 40), "4.0-4.5 mem_event entries of 40 bytes");
        assertEquals(0, SharedRing.ringSize(64, 376));
        assertEquals(64 + 3 * 376, sring.entryOffset(3));
        assertEquals(64, sring.entryOffset(8), "index 8 wraps to slot 0");
        assertEquals(64 + 7 * 376, sring.entryOffset(-1), "index 0xffffffff is slot 7");
    }

    @Test void sharedRingInitWritesHeaderLittleEndianAndZeroesPad() {
        page.fill((byte) 0xAB);
        sring.init();
        assertEquals("00000000" + "01000000" + "00000000" + "01000000" + "00".repeat(48),
                HexFormat.of().formatHex(page.asSlice(0, 64).toArray(ValueLayout.JAVA_BYTE)));
        assertEquals((byte) 0xAB, page.get(ValueLayout.JAVA_BYTE, 64), "entries are not touched by SHARED_RING_INIT");
    }

    @Test void requestIsWrittenAtItsSlotAndPublishedAtOffsetZero() {
        sring.init();
        FrontRing front = new FrontRing(sring);
        for (int i = 0; i < 5; i++) {
            MemorySegment slot = front.nextRequest();
            assertEquals(sring.entryOffset(i), slot.address() - page.address());
            new VmEventRequest().wrap(slot).clear().version(4).reason(3).gfn(0x100 + i);
            front.commitRequest();
            assertEquals(i, u32(SharedRing.REQ_PROD_OFFSET), "not published before the push");
            front.pushRequests();
            assertEquals(i + 1, u32(SharedRing.REQ_PROD_OFFSET));
            assertEquals(0x100 + i, page.get(U32_UNALIGNED, 64 + (long) i * 376 + 24));
        }
        assertEquals(3, front.freeRequests());
    }

    @Test void fullRingRefusesToProduceUntilAResponseIsConsumed() {
        sring.init();
        FrontRing front = new FrontRing(sring);
        BackRing back = new BackRing(sring);
        MemorySegment req = Arena.ofAuto().allocate(ENTRY);
        VmEventRequest ev = new VmEventRequest().wrap(req);
        for (int i = 0; i < 8; i++) assertTrue(front.putRequest(ev.gfn(i).segment()));
        front.pushRequests();
        assertTrue(front.full());
        assertNull(front.nextRequest());
        byte[] before = page.toArray(ValueLayout.JAVA_BYTE);
        assertFalse(front.putRequest(ev.gfn(99).segment()), "a full ring takes no request");
        assertArrayEquals(before, page.toArray(ValueLayout.JAVA_BYTE), "and writes nothing");

        // The back end consuming a request does not free the slot: only the response does.
        MemorySegment got = Arena.ofAuto().allocate(ENTRY);
        assertTrue(back.takeRequest(got));
        assertEquals(0, new VmEventRequest().wrap(got).gfn());
        assertTrue(front.full());
        back.putResponse(got);
        back.pushResponses();
        assertEquals(1, u32(SharedRing.RSP_PROD_OFFSET));
        assertTrue(front.full(), "the front has not consumed the response yet");
        assertTrue(front.takeResponse(got));
        assertEquals(1, front.freeRequests());
        assertTrue(front.putRequest(ev.gfn(8).segment()));
        assertEquals(8, page.get(U32_UNALIGNED, 64 + 24), "index 8 reuses slot 0");
    }

    @Test void indicesWrapAroundThe32BitBoundary() {
        sring.init();
        int start = 0xFFFFFFFC; // 4 before wrap
        page.set(U32_UNALIGNED, SharedRing.REQ_PROD_OFFSET, start);
        page.set(U32_UNALIGNED, SharedRing.RSP_PROD_OFFSET, start);
        FrontRing front = new FrontRing(sring, start);
        BackRing back = new BackRing(sring, start);
        MemorySegment buf = Arena.ofAuto().allocate(ENTRY);
        VmEventRequest ev = new VmEventRequest().wrap(buf);
        long seen = 0;
        for (int round = 0; round < 5; round++) {
            for (int i = 0; i < 8; i++) assertTrue(front.putRequest(ev.gfn(round * 8L + i).segment()), "round " + round);
            assertFalse(front.putRequest(ev.gfn(-1).segment()));
            front.pushRequests();
            assertEquals(8, back.unconsumedRequests());
            while (back.takeRequest(buf)) {
                assertEquals(seen++, ev.gfn());
                back.putResponse(buf);
            }
            back.pushResponses();
            assertEquals(8, front.unconsumedResponses());
            while (front.takeResponse(buf)) { /* drain */ }
            assertEquals(8, front.freeRequests());
        }
        assertEquals(start + 40, u32(SharedRing.REQ_PROD_OFFSET));
        assertEquals(36, u32(SharedRing.REQ_PROD_OFFSET), "wrapped past 0xffffffff");
        assertEquals(40, seen);
    }

    @Test void backRingNeverSeesMoreThanSizeUnconsumedEvenIfFrontLies() {
        sring.init();
        page.set(U32_UNALIGNED, SharedRing.REQ_PROD_OFFSET, 1000); // a buggy/hostile producer index
        BackRing back = new BackRing(sring);
        assertEquals(8, back.unconsumedRequests());
    }

    @Test void frontRingStopsOneRingPastItsRequestsEvenIfTheBackEndLies() {
        sring.init();
        FrontRing front = new FrontRing(sring);
        MemorySegment buf = Arena.ofAuto().allocate(ENTRY);
        assertTrue(front.putRequest(buf));
        front.pushRequests();
        page.set(U32_UNALIGNED, SharedRing.RSP_PROD_OFFSET, 0x7FFF_FFFF); // a buggy/hostile back end
        assertTrue(front.responseProdOverflow(), "RING_RESPONSE_PROD_OVERFLOW");
        assertEquals(1 + 8, front.unconsumedResponses(), "the 1 outstanding request plus at most one ring");
        int taken = 0;
        while (front.takeResponse(buf)) taken++;
        assertEquals(9, taken, "bounded: the loop ends");
        assertEquals(0, front.unconsumedResponses());
        assertTrue(front.putRequest(buf), "requests go on");
        assertEquals(1, front.unconsumedResponses(), "one more request, one more response slot");
    }

    @Test void frontRingReadsExactlyWhatAWellBehavedBackEndProduced() {
        sring.init();
        FrontRing front = new FrontRing(sring);
        BackRing back = new BackRing(sring);
        MemorySegment buf = Arena.ofAuto().allocate(ENTRY);
        for (int i = 0; i < 8; i++) assertTrue(front.putRequest(buf));
        front.pushRequests();
        while (back.takeRequest(buf)) back.putResponse(buf);
        back.pushResponses();
        assertFalse(front.responseProdOverflow());
        assertEquals(8, front.unconsumedResponses());
    }

    @Test void pushRequestsNotifiesOnlyWhenCrossingReqEvent() {
        sring.init(); // req_event = 1: the back end wants to hear about request 1
        FrontRing front = new FrontRing(sring);
        BackRing back = new BackRing(sring);
        MemorySegment buf = Arena.ofAuto().allocate(ENTRY);
        front.putRequest(buf);
        assertTrue(front.pushRequestsAndCheckNotify(), "0 -> 1 crosses req_event 1");
        front.putRequest(buf);
        assertFalse(front.pushRequestsAndCheckNotify(), "1 -> 2 does not cross req_event 1: back end is busy");
        // The back end drains, then re-arms with RING_FINAL_CHECK_FOR_REQUESTS.
        while (back.takeRequest(buf)) back.putResponse(buf);
        assertFalse(back.finalCheckForRequests());
        assertEquals(3, u32(SharedRing.REQ_EVENT_OFFSET), "req_event = req_cons + 1");
        front.putRequest(buf);
        assertTrue(front.pushRequestsAndCheckNotify(), "2 -> 3 crosses req_event 3");
    }

    @Test void batchedPushNotifiesWhenEventIsInsideTheBatch() {
        sring.init();
        FrontRing front = new FrontRing(sring);
        MemorySegment buf = Arena.ofAuto().allocate(ENTRY);
        page.set(U32_UNALIGNED, SharedRing.REQ_EVENT_OFFSET, 3);
        front.putRequest(buf);
        front.putRequest(buf);
        assertFalse(front.pushRequestsAndCheckNotify(), "0 -> 2 stays below event 3");
        front.putRequest(buf);
        front.putRequest(buf);
        assertTrue(front.pushRequestsAndCheckNotify(), "2 -> 4 passes event 3");
    }

    @Test void pushResponsesNotifiesOnlyWhenCrossingRspEvent() {
        sring.init();
        FrontRing front = new FrontRing(sring);
        BackRing back = new BackRing(sring);
        MemorySegment buf = Arena.ofAuto().allocate(ENTRY);
        for (int i = 0; i < 3; i++) front.putRequest(buf);
        front.pushRequests();
        back.takeRequest(buf);
        back.putResponse(buf);
        assertTrue(back.pushResponsesAndCheckNotify(), "rsp_event 1");
        back.takeRequest(buf);
        back.putResponse(buf);
        assertFalse(back.pushResponsesAndCheckNotify(), "front has not re-armed");
        assertTrue(front.takeResponse(buf));
        assertTrue(front.finalCheckForResponses(), "one more pending: no re-arm needed");
        assertTrue(front.takeResponse(buf));
        assertFalse(front.finalCheckForResponses());
        assertEquals(3, u32(SharedRing.RSP_EVENT_OFFSET));
        back.takeRequest(buf);
        back.putResponse(buf);
        assertTrue(back.pushResponsesAndCheckNotify());
    }

    @Test void finalCheckSeesARequestPublishedJustBeforeReArming() {
        sring.init();
        FrontRing front = new FrontRing(sring);
        BackRing back = new BackRing(sring);
        MemorySegment buf = Arena.ofAuto().allocate(ENTRY);
        front.putRequest(buf);
        front.pushRequests();
        assertTrue(back.finalCheckForRequests(), "pending work is reported without re-arming");
        assertEquals(1, u32(SharedRing.REQ_EVENT_OFFSET));
    }

    @Test void memPagingEventMatchesXenVector() {
        MemorySegment e = Arena.ofAuto().allocate(376);
        new VmEventRequest().wrap(e).clear().version(4).flags(1).reason(3).vcpuId(1).gfn(0x42).p2mt(10);
        String hex = HexFormat.of().formatHex(e.toArray(ValueLayout.JAVA_BYTE));
        assertEquals("04000000" + "01000000" + "03000000" + "01000000" + "0000" + "000000000000"
                + "4200000000000000" + "0a000000" + "00000000" + "00".repeat(16 + 320), hex);
    }
}
