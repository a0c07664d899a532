package org.fallow.guest;

import org.fallow.guest.hv.Hypercaller;
import org.fallow.guest.hv.PhysMem;

import java.util.function.LongConsumer;

/**
 * What a simulated guest needs from the outside world: its RAM, a way to issue hypercalls, and the toolstack's
 * balloon target ({@code memory/target}, KiB) as events.
 */
public interface GuestPlatform extends AutoCloseable {
    int domid();

    PhysMem memory();

    Hypercaller hypercaller();

    /**
     * Watches {@code memory/target} (KiB): {@code onTargetKib} runs for the current value and every change (possibly on
     * another thread). Also reads {@code memory/static-max} if present (returned in KiB, or -1).
     */
    long watchTarget(LongConsumer onTargetKib) throws Exception;

    /** True while the domain is alive (not crashed, destroyed, or disconnected). */
    boolean alive();

    @Override void close();
}
