package org.fallow.hypervisor.net;

import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.core.Peer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class EventChannelHubTest {
    static final class RecordingPeer implements Peer {
        final List<Integer> sent = new ArrayList<>();
        @Override public void sendEvent(int port) { sent.add(port); }
        @Override public boolean isOpen() { return true; }
        @Override public String describe() { return "rec"; }
    }

    @Test
    void portsAreLowestFreeFromOneAndReusedAfterClose() {
        EventChannelHub hub = new EventChannelHub();
        RecordingPeer p = new RecordingPeer();
        assertEquals(1, hub.allocate(3, p, x -> {}));
        assertEquals(2, hub.allocate(4, p, x -> {}));
        hub.close(1);
        assertEquals(1, hub.allocate(5, p, x -> {}));
        assertEquals(5, hub.domainOf(1));
        assertEquals(-XenErrno.EINVAL, hub.allocate(5, null, x -> {}));
    }

    @Test
    void runsOutOfPortsWithEnospc() {
        EventChannelHub hub = new EventChannelHub();
        RecordingPeer p = new RecordingPeer();
        for (int i = 1; i < EventChannelHub.MAX_PORTS; i++) assertEquals(i, hub.allocate(1, p, x -> {}));
        assertEquals(-XenErrno.ENOSPC, hub.allocate(1, p, x -> {}));
    }

    @Test
    void notifyAndRemoteSendFollowTheBinding() {
        EventChannelHub hub = new EventChannelHub();
        RecordingPeer pager = new RecordingPeer();
        RecordingPeer other = new RecordingPeer();
        List<Integer> kicks = new ArrayList<>();
        int port = hub.allocate(7, pager, kicks::add);
        hub.notifyRemote(port);
        hub.notifyRemote(port + 1); // unbound: dropped
        assertEquals(List.of(port), pager.sent);
        assertEquals(0, hub.remoteSend(pager, port));
        assertEquals(-XenErrno.EPERM, hub.remoteSend(other, port));
        assertEquals(-XenErrno.EINVAL, hub.remoteSend(pager, port + 1));
        assertEquals(List.of(port), kicks);
        hub.close(port);
        assertEquals(-XenErrno.EINVAL, hub.remoteSend(pager, port));
        assertEquals(0, hub.openPorts());
    }
}
