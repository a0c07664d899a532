package org.fallow.guest;

/**
 * The guest's knobs, named and defaulted as Linux's sysfs files under
 * {@code /sys/devices/system/xen_memory/xen_memory0/} (balloon) and {@code .../selfballoon/} (selfballoon,
 * selfshrink), plus the tmem module parameters. Numeric knobs reject 0 as the sysfs store functions do.
 * Mutable at run time, like sysfs.
 */
public final class GuestTunables {
    // tmem module parameters (tmem.cleancache, tmem.frontswap, tmem.selfballooning, tmem.selfshrinking). Linux v5.2
    // defaults all four on (drivers/xen/tmem.c), effective with the tmem boot option, and xen_tmem_init turns
    // selfballooning and selfshrinking off without frontswap: `./fallow guest` (GuestMain) applies those defaults.
    // Here, for programmatic use, the workers are off unless asked for.
    private boolean cleancache = true;
    private boolean frontswap = true;
    private boolean selfballooning = false;
    private boolean frontswapSelfshrinking = false;
    // selfballoon/
    private int selfballoonIntervalSec = 5;
    private int selfballoonDownhysteresis = 8;
    private int selfballoonUphysteresis = 1;
    private int selfballoonMinUsableMb = 0;
    private int selfballoonReservedMb = 0;
    private int frontswapHysteresis = 20;
    private int frontswapInertia = 3;
    /** v5.2 re-arms the inertia counter after each shrink (one shrink per 3 intervals); 3.x/4.x shrink every interval. */
    private boolean selfshrinkRearm = true;
    // xen_memory0/
    private boolean balloon = true;
    private int maxScheduleDelaySec = 32;
    private int maxRetryCount = 4;
    private boolean scrubPages = true;

    public static GuestTunables defaults() { return new GuestTunables(); }

    private static int positive(String knob, int v) {
        if (v <= 0) throw new IllegalArgumentException(knob + " must be > 0 (sysfs rejects " + v + ")");
        return v;
    }

    public boolean cleancache() { return cleancache; }
    public GuestTunables cleancache(boolean v) { cleancache = v; return this; }
    public boolean frontswap() { return frontswap; }
    public GuestTunables frontswap(boolean v) { frontswap = v; return this; }
    public boolean selfballooning() { return selfballooning; }
    public GuestTunables selfballooning(boolean v) { selfballooning = v; return this; }
    public boolean frontswapSelfshrinking() { return frontswapSelfshrinking; }
    public GuestTunables frontswapSelfshrinking(boolean v) { frontswapSelfshrinking = v; return this; }
    public int selfballoonIntervalSec() { return selfballoonIntervalSec; }
    public GuestTunables selfballoonIntervalSec(int v) { selfballoonIntervalSec = positive("selfballoon_interval", v); return this; }
    public int selfballoonDownhysteresis() { return selfballoonDownhysteresis; }
    public GuestTunables selfballoonDownhysteresis(int v) { selfballoonDownhysteresis = positive("selfballoon_downhysteresis", v); return this; }
    public int selfballoonUphysteresis() { return selfballoonUphysteresis; }
    public GuestTunables selfballoonUphysteresis(int v) { selfballoonUphysteresis = positive("selfballoon_uphysteresis", v); return this; }
    public int selfballoonMinUsableMb() { return selfballoonMinUsableMb; }
    /** sysfs store: 0 is -EINVAL (the module's initial 0 means the piecewise floor, but it cannot be written back). */
    public GuestTunables selfballoonMinUsableMb(int v) { selfballoonMinUsableMb = positive("selfballoon_min_usable_mb", v); return this; }
    public int selfballoonReservedMb() { return selfballoonReservedMb; }
    /** sysfs store: 0 is -EINVAL. */
    public GuestTunables selfballoonReservedMb(int v) { selfballoonReservedMb = positive("selfballoon_reserved_mb", v); return this; }

    /** xen_selfballoon_init's default for an unset reserved_mb (totalram/10 in MiB, which may be 0): not a sysfs store. */
    public void initSelfballoonReservedMb(int v) {
        if (v < 0) throw new IllegalArgumentException("reserved_mb " + v);
        selfballoonReservedMb = v;
    }
    public int frontswapHysteresis() { return frontswapHysteresis; }
    public GuestTunables frontswapHysteresis(int v) { frontswapHysteresis = positive("frontswap_hysteresis", v); return this; }
    public int frontswapInertia() { return frontswapInertia; }
    public GuestTunables frontswapInertia(int v) { frontswapInertia = positive("frontswap_inertia", v); return this; }
    public boolean selfshrinkRearm() { return selfshrinkRearm; }
    public GuestTunables selfshrinkRearm(boolean v) { selfshrinkRearm = v; return this; }
    public boolean balloon() { return balloon; }
    public GuestTunables balloon(boolean v) { balloon = v; return this; }
    public int maxScheduleDelaySec() { return maxScheduleDelaySec; }
    public GuestTunables maxScheduleDelaySec(int v) { maxScheduleDelaySec = positive("max_schedule_delay", v); return this; }
    public int maxRetryCount() { return maxRetryCount; }
    public GuestTunables maxRetryCount(int v) { if (v < 0) throw new IllegalArgumentException("max_retry_count"); maxRetryCount = v; return this; }
    public boolean scrubPages() { return scrubPages; }
    public GuestTunables scrubPages(boolean v) { scrubPages = v; return this; }
}
