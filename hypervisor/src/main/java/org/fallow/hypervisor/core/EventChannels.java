package org.fallow.hypervisor.core;

import java.util.function.IntConsumer;

/**
 * Interdomain event channels between a domain and a toolstack peer (the pager). Notifications travel as EVTCHN_SEND
 * frames. Ports are per hypervisor, allocated from 1.
 */
public interface EventChannels {
    /**
     * Allocates an unbound port in domain {@code domid} whose remote end is {@code remote}; {@code onRemoteSend} runs
     * on the dispatch thread whenever the remote notifies the port. Returns the port (> 0) or a negated errno.
     */
    int allocate(int domid, Peer remote, IntConsumer onRemoteSend);

    /** Hypervisor-side notify: sends EVTCHN_SEND(port) to the remote peer. */
    void notifyRemote(int port);

    /** A peer notified {@code port}; returns 0, or -EINVAL for an unknown port, -EPERM if the peer is not its remote. */
    int remoteSend(Peer from, int port);

    void close(int port);
}
