package org.fallow.guest.mm;

/** Counters of the simulated kernel's memory management (what /proc/vmstat would show). */
public final class KernelStats {
    public long fileReads, pageCacheHits, pageCacheMisses, diskReads, fileWrites, truncates;
    public long anonTouches, anonFaults, swapIns, swapOuts, swapDiskWrites, swapDiskReads;
    public long cacheEvictions, anonEvictions, oomKills, dataErrors;
    public long frontswapUnused;
}
