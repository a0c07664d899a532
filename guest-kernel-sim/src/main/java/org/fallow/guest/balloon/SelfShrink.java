package org.fallow.guest.balloon;

/**
 * frontswap_selfshrink() (xen-selfballoon.c): after {@code inertia} intervals in which the frontswap page count did not
 * grow, shrink frontswap by 1/{@code hysteresis} of its pages (all of them if at most {@code hysteresis} remain).
 * With {@code rearm} (v5.2) the counter restarts after each shrink; without it (3.x/4.x) shrinks then happen every
 * interval.
 */
public final class SelfShrink {
    private long curFrontswapPages;
    private long inertiaCounter;

    /** One interval: returns the frontswap target to shrink to, or -1 for no shrink this interval. */
    public long step(long frontswapPages, int hysteresis, int inertia, boolean rearm) {
        long last = curFrontswapPages;
        curFrontswapPages = frontswapPages;
        if (curFrontswapPages == 0 || curFrontswapPages > last) {
            inertiaCounter = inertia;
            return -1;
        }
        if (inertiaCounter != 0 && --inertiaCounter != 0) return -1;
        long tgt = curFrontswapPages <= hysteresis ? 0 : curFrontswapPages - curFrontswapPages / hysteresis;
        if (rearm) inertiaCounter = inertia;
        return tgt;
    }

    /** Writing frontswap_inertia resets the counter. */
    public void resetCounter(int inertia) { inertiaCounter = inertia; }

    public long inertiaCounter() { return inertiaCounter; }
}
