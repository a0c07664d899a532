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
    }
}
