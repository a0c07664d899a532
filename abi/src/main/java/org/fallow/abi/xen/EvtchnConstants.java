package org.fallow.abi.xen;

/** Event-channel limits (public/xen.h, x86_64). */
public final class EvtchnConstants {
    private EvtchnConstants() {}

    /**
     * {@code EVTCHN_2L_NR_CHANNELS}: ports of the 2-level ABI for a 64-bit guest,
     * {@code sizeof(xen_ulong_t) * sizeof(xen_ulong_t) * 64} = 8 * 8 * 64. Port 0 is never allocated.
     */
    public static final int EVTCHN_2L_NR_CHANNELS = 8 * 8 * 64;
}
