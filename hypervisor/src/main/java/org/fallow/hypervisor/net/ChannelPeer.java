package org.fallow.hypervisor.net;

import io.netty.channel.Channel;
import org.fallow.abi.wire.DomainEvent;
import org.fallow.abi.wire.EvtchnSend;
import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameType;
import org.fallow.hypervisor.core.Peer;

import java.util.BitSet;

/**
 * A {@link Peer} backed by one Netty channel: unsolicited frames carry request_id 0 and never block. An event-channel
 * kick for a client that does not read its socket (channel not writable) is kept as a pending bit for its port, as
 * Xen's evtchn_pending bit, and sent once when the client drains its socket: kicks coalesce, memory stays bounded.
 */
final class ChannelPeer implements Peer {
    private final Channel channel;
    private volatile String name;
    private final BitSet pendingPorts = new BitSet();

    ChannelPeer(Channel channel, String name) {
        this.channel = channel;
        this.name = name;
    }

    void rename(String n) {
        name = n;
        channel.attr(Peers.NAME).set(n);
    }

    Channel channel() { return channel; }

    @Override public void sendEvent(int port) {
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(() -> sendEvent(port));
            return;
        }
        if (!channel.isWritable()) {
            pendingPorts.set(port);
            return;
        }
        send(new Frame(FrameType.EVTCHN_SEND, 0, EvtchnSend.encode(port)));
    }

    /** Sends the kicks held back while the channel was not writable (on the channel's event loop). */
    void flushPendingEvents() {
        for (int p = pendingPorts.nextSetBit(0); p >= 0 && channel.isWritable(); p = pendingPorts.nextSetBit(p + 1)) {
            pendingPorts.clear(p);
            send(new Frame(FrameType.EVTCHN_SEND, 0, EvtchnSend.encode(p)));
        }
    }

    void sendDomainEvent(int event, String text) { send(new Frame(FrameType.DOMAIN_EVENT, 0, DomainEvent.encode(event, text))); }

    boolean isWritable() { return channel.isWritable(); }

    void send(Frame f) {
        if (channel.isActive()) channel.writeAndFlush(f, channel.voidPromise());
    }

    @Override public boolean isOpen() { return channel.isActive(); }

    @Override public String describe() { return name; }

    @Override public String toString() { return name; }
}
