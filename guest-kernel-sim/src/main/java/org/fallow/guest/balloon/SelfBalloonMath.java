package org.fallow.guest.balloon;

/** The per-interval selfballoon arithmetic (v5.2), free of any kernel state so it can be checked by hand. */
public final class SelfBalloonMath {
    private SelfBalloonMath() {}

    /** goal = Committed_AS + totalreserve + MB2PAGES(reserved_mb) (+ frontswap pages if selfshrinking). */
    public static long goal(long committed, long totalReserve, long reservedMb, long frontswapPages, boolean selfshrinking) {
        return committed + totalReserve + MinUsableFloor.mb2pages(reservedMb) + (selfshrinking ? frontswapPages : 0);
    }

    /** One hysteresis step from {@code cur} toward {@code goal}: down by 1/downhys of the gap, up by 1/uphys. */
    public static long step(long cur, long goal, int downhys, int uphys) {
        if (cur > goal) return cur - (cur - goal) / downhys;
        if (cur < goal) return cur + (goal - cur) / uphys;
        return cur;
    }

    /** The totalram target clamped to the floor, converted to the balloon driver's current_pages domain. */
    public static long balloonTarget(long tgt, long floor, long currentPages, long totalRam) {
        return Math.max(tgt, floor) + currentPages - totalRam;
    }
}
