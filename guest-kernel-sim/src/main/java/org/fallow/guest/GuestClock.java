package org.fallow.guest;

/**
 * The guest's notion of time in milliseconds, which paces the balloon and selfballoon workers. {@link Simulated}
 * advances only when told (deterministic tests and fast demos); {@link Scaled} runs {@code scale} times faster than the
 * wall clock (a 5 s selfballoon interval every 0.5 s at scale 10).
 */
public interface GuestClock {
    long nowMs();

    /** Called after each workload step with the simulated time that step took; scaled clocks ignore it. */
    void advance(long ms);

    /** Lets guest time reach {@code guestMs}: a simulated clock jumps there, a scaled clock sleeps until it passes. */
    default void advanceTo(long guestMs) {
        long now = nowMs();
        if (guestMs > now) advance(guestMs - now);
    }

    final class Simulated implements GuestClock {
        private long now;
        @Override public long nowMs() { return now; }
        @Override public void advance(long ms) { now += ms; }
    }

    final class Scaled implements GuestClock {
        private final double scale;
        private final long start = System.nanoTime();

        public Scaled(double scale) {
            if (!(scale > 0)) throw new IllegalArgumentException("time scale must be > 0");
            this.scale = scale;
        }

        @Override public long nowMs() { return (long) ((System.nanoTime() - start) / 1e6 * scale); }
        @Override public void advance(long ms) {}

        /** Paces the guest: sleeps (in wall time) until guest time reaches {@code guestMs}. */
        @Override public void advanceTo(long guestMs) {
            long wait = (long) Math.ceil((guestMs - nowMs()) / scale);
            if (wait <= 0) return;
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
