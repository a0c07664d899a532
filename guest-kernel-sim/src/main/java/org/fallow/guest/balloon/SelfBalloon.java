package org.fallow.guest.balloon;

import org.fallow.guest.GuestTunables;
import org.fallow.guest.mm.GuestKernel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The selfballoon worker (xen-selfballoon.c, v5.2): every {@code selfballoon_interval} seconds it moves the balloon
 * target toward goal = Committed_AS + totalreserve + reserved_mb (+ frontswap pages), down by 1/downhysteresis of the
 * gap, up by 1/uphysteresis, never below the {@link MinUsableFloor}; then runs frontswap selfshrinking.
 */
public final class SelfBalloon {
    private static final Logger log = LoggerFactory.getLogger(SelfBalloon.class);

    private final GuestKernel kernel;
    private final BalloonDriver balloon;
    private final GuestTunables t;
    private final SelfShrink shrink = new SelfShrink();
    private long nextRunMs;
    private long ticks, lastGoal, lastTotalramTarget, lastBalloonTarget, lastFloor, shrinks, shrunkPages;

    /** Starts the worker: first run one interval from {@code nowMs}; reserved_mb 0 becomes totalram/10 (in MB). */
    public SelfBalloon(GuestKernel kernel, BalloonDriver balloon, GuestTunables t, long nowMs) {
        this.kernel = kernel;
        this.balloon = balloon;
        this.t = t;
        if (t.selfballoonReservedMb() == 0) t.initSelfballoonReservedMb((int) ((kernel.totalRamPages() / 10) >> 8));
        shrink.resetCounter(t.frontswapInertia());
        nextRunMs = nowMs + t.selfballoonIntervalSec() * 1000L;
    }

    public boolean enabled() { return t.selfballooning() || t.frontswapSelfshrinking(); }

    /** Runs one interval if due; true if it ran. */
    public boolean process(long nowMs) {
        if (!enabled() || nowMs < nextRunMs) return false;
        runOnce(nowMs);
        nextRunMs = nowMs + t.selfballoonIntervalSec() * 1000L;
        return true;
    }

    /** One worker run (also callable directly by tests). */
    public void runOnce(long nowMs) {
        ticks++;
        if (t.selfballooning()) {
            long cur = kernel.totalRamPages();
            long goal = SelfBalloonMath.goal(kernel.committedPages(), kernel.totalReservePages(), t.selfballoonReservedMb(),
                    kernel.frontswap().currPages(), t.frontswapSelfshrinking());
            long tgt = SelfBalloonMath.step(cur, goal, t.selfballoonDownhysteresis(), t.selfballoonUphysteresis());
            long floor = MinUsableFloor.floorPages(kernel.maxPfn(), kernel.totalReservePages(), t.selfballoonMinUsableMb());
            long target = SelfBalloonMath.balloonTarget(tgt, floor, kernel.currentPages(), cur);
            lastGoal = goal;
            lastFloor = floor;
            lastTotalramTarget = Math.max(tgt, floor);
            lastBalloonTarget = target;
            log.debug("selfballoon: totalram {} goal {} tgt {} floor {} -> balloon target {}", cur, goal, tgt, floor, target);
            balloon.setTarget(target, nowMs);
        }
        if (t.frontswapSelfshrinking()) {
            long tgt = shrink.step(kernel.frontswap().currPages(), t.frontswapHysteresis(), t.frontswapInertia(), t.selfshrinkRearm());
            if (tgt >= 0) {
                shrinks++;
                shrunkPages += kernel.frontswapShrink(tgt);
            }
        }
    }

    public long ticks() { return ticks; }
    public long lastGoal() { return lastGoal; }
    public long lastFloor() { return lastFloor; }
    public long lastTotalramTarget() { return lastTotalramTarget; }
    public long lastBalloonTarget() { return lastBalloonTarget; }
    public long shrinks() { return shrinks; }
    public long shrunkPages() { return shrunkPages; }
    public long nextRunMs() { return nextRunMs; }
}
