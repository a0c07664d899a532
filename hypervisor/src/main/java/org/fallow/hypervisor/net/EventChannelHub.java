package org.fallow.hypervisor.net;

import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.core.EventChannels;
import org.fallow.hypervisor.core.Peer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;

/**
 * The hypervisor's event channels: each port joins a domain to one remote peer (a toolstack connection such as the
 * pager). The hypervisor notifies the remote with an unsolicited EVTCHN_SEND frame; the remote notifies the port by
 * sending EVTCHN_SEND, which runs the port's callback on the dispatch thread. Ports are allocated lowest-free from 1.
 */
public final class EventChannelHub implements EventChannels {
    private static final Logger log = LoggerFactory.getLogger(EventChannelHub.class);
    /** The 2-level ABI's limit for 64-bit guests (EVTCHN_2L_NR_CHANNELS). */
    public static final int MAX_PORTS = org.fallow.abi.xen.EvtchnConstants.EVTCHN_2L_NR_CHANNELS;

    private record Channel(int port, int domid, Peer remote, IntConsumer onRemoteSend) {}

    private final Map<Integer, Channel> ports = new ConcurrentHashMap<>();

    @Override public synchronized int allocate(int domid, Peer remote, IntConsumer onRemoteSend) {
        if (remote == null || onRemoteSend == null) return -XenErrno.EINVAL;
        for (int port = 1; port < MAX_PORTS; port++) {
            if (!ports.containsKey(port)) {
                ports.put(port, new Channel(port, domid, remote, onRemoteSend));
                log.debug("evtchn {}: d{} <-> {}", port, domid, remote.describe());
                return port;
            }
        }
        return -XenErrno.ENOSPC;
    }

    @Override public void notifyRemote(int port) {
        Channel ch = ports.get(port);
        if (ch == null) {
            log.debug("notify of closed port {} dropped", port);
            return;
        }
        ch.remote.sendEvent(port);
    }

    @Override public int remoteSend(Peer from, int port) {
        Channel ch = ports.get(port);
        if (ch == null) return -XenErrno.EINVAL;
        if (ch.remote != from) return -XenErrno.EPERM;
        ch.onRemoteSend.accept(port);
        return 0;
    }

    @Override public void close(int port) { ports.remove(port); }

    /** The domain a port belongs to, or -1. */
    public int domainOf(int port) {
        Channel ch = ports.get(port);
        return ch == null ? -1 : ch.domid;
    }

    public int openPorts() { return ports.size(); }
}
