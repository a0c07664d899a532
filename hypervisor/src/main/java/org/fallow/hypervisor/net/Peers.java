package org.fallow.hypervisor.net;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

/** The per-channel name used in every log line about a connection ("toolstack#3", "guest d5#4", "conn#7"). */
final class Peers {
    private Peers() {}

    static final AttributeKey<String> NAME = AttributeKey.valueOf("fallow.peer");

    static String name(Channel ch) {
        String n = ch.attr(NAME).get();
        return n != null ? n : "conn@" + ch.id().asShortText();
    }
}
