package org.fallow.hypervisor.testing;

import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.core.EventChannels;
import org.fallow.hypervisor.core.Peer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/** In-process event channels for tests: notifyRemote calls the remote peer's sendEvent directly. */
public final class LocalEventChannels implements EventChannels {
    private record Port(int domid, Peer remote, IntConsumer onRemoteSend) {}

    private final Map<Integer, Port> ports = new ConcurrentHashMap<>();
    private final AtomicInteger next = new AtomicInteger(1);

    @Override public int allocate(int domid, Peer remote, IntConsumer onRemoteSend) {
        int p = next.getAndIncrement();
        ports.put(p, new Port(domid, remote, onRemoteSend));
        return p;
    }

    @Override public void notifyRemote(int port) {
        Port p = ports.get(port);
        if (p != null) p.remote().sendEvent(port);
    }

    @Override public int remoteSend(Peer from, int port) {
        Port p = ports.get(port);
        if (p == null) return -XenErrno.EINVAL;
        if (p.remote() != from) return -XenErrno.EPERM;
        p.onRemoteSend().accept(port);
        return 0;
    }

    @Override public void close(int port) { ports.remove(port); }

    public boolean open(int port) { return ports.containsKey(port); }
}
