package org.fallow.hypervisor.core;

/** The connection a caller speaks on, for unsolicited frames (event-channel notifications, domain events). */
public interface Peer {
    /** Sends an EVTCHN_SEND frame for {@code port} to this peer (never blocks; dropped if the peer is gone). */
    void sendEvent(int port);

    boolean isOpen();

    /** A short description for logs, e.g. "toolstack#3". */
    String describe();

    Peer NONE = new Peer() {
        @Override public void sendEvent(int port) {}
        @Override public boolean isOpen() { return false; }
        @Override public String describe() { return "in-process"; }
    };
}
