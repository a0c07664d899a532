package org.fallow.hypervisor.paging;

import org.fallow.hypervisor.core.Peer;

import java.util.concurrent.Semaphore;

/** A toolstack connection stand-in that counts EVTCHN_SEND frames it receives. */
public final class TestPeer implements Peer {
    public final Semaphore events = new Semaphore(0);
    public volatile boolean open = true;
    private final String name;

    public TestPeer(String name) { this.name = name; }

    @Override public void sendEvent(int port) { events.release(); }
    @Override public boolean isOpen() { return open; }
    @Override public String describe() { return name; }
}
