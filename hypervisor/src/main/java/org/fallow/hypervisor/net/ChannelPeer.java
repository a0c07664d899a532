package org.fallow.hypervisor.net;

import io.netty.channel.Channel;
import org.fallow.abi.wire.DomainEvent;
import org.fallow.abi.wire.EvtchnSend;
import org.fallow.abi.wire.Frame;
import org.fallow.abi.wire.FrameType;
import org.fallow.hypervisor.core.Peer;

/** A {@link Peer} backed by one Netty channel: unsolicited frames carry request_id 0 and never block. */
final class ChannelPeer implements Peer {
    private final Channel channel;
    private volatile String name;

    ChannelPeer(Channel channel, String name) {
        this.channel = channel;
        this.name = name;
    }

    void rename(String n) {
        name = n;
        channel.attr(Peers.NAME).set(n);
    }

    Channel channel() { return channel; }

    @Override public void sendEvent(int port) { send(new Frame(FrameType.EVTCHN_SEND, 0, EvtchnSend.encode(port))); }

    void sendDomainEvent(int event, String text) { send(new Frame(FrameType.DOMAIN_EVENT, 0, DomainEvent.encode(event, text))); }

    void send(Frame f) {
        if (channel.isActive()) channel.writeAndFlush(f, channel.voidPromise());
    }

    @Override public boolean isOpen() { return channel.isActive(); }

    @Override public String describe() { return name; }

    @Override public String toString() { return name; }
}
