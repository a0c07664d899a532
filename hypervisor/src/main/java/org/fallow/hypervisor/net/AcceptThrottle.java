package org.fallow.hypervisor.net;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.util.concurrent.TimeUnit;

/**
 * On the listening channel: a token bucket of accepts ({@link ServerLimits#acceptsPerSecond}, burst
 * {@link ServerLimits#ACCEPT_BURST}). When it is empty the listening socket is not read until one token has come
 * back; meanwhile new connections wait in the kernel's listen backlog and a flooding client's {@code connect} blocks
 * there. Without it a client opening connections as fast as it can keeps the one dispatch thread busy with accepts,
 * pipelines and evictions, and the host scheduler then delays that thread (and everyone's requests) by whole time
 * slices. Runs on the dispatch thread.
 */
final class AcceptThrottle extends ChannelInboundHandlerAdapter {
    private final long nanosPerToken;
    private final double burst;
    private double tokens;
    private long last;
    private long pauses;

    AcceptThrottle(int perSecond, int burst) {
        this.nanosPerToken = TimeUnit.SECONDS.toNanos(1) / Math.max(1, perSecond);
        this.burst = Math.max(1, burst);
        this.tokens = this.burst;
        this.last = System.nanoTime();
    }

    @Override public void channelRead(ChannelHandlerContext ctx, Object child) {
        refill();
        tokens -= 1;
        if (tokens < 1 && ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(false);
            pauses++;
            long wait = (long) Math.ceil((1 - tokens) * nanosPerToken);
            ctx.executor().schedule(() -> ctx.channel().config().setAutoRead(true), wait, TimeUnit.NANOSECONDS);
        }
        ctx.fireChannelRead(child);
    }

    private void refill() {
        long now = System.nanoTime();
        tokens = Math.min(burst, tokens + (double) (now - last) / nanosPerToken);
        last = now;
    }

    /** How often accepting was paused (statistics). */
    long pauses() { return pauses; }
}
