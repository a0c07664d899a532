package org.fallow.hypervisor.mem;

/** Counters of one domain's populate-on-demand activity (for `top`, reports and tests). */
public final class PodStats {
    /** Demand populates that mapped a page from the cache. */
    public long populated;
    /** Zero checks run (single gfns, eager and sweep). */
    public long zeroChecks;
    /** Pages reclaimed into the cache because they were all zero. */
    public long zeroReclaimed;
    /** Reclaims skipped because a guest access was in flight (CAS failed). */
    public long reclaimRaced;
    /** Emergency sweeps run, gfns they visited in total, and the most visited by one sweep. */
    public long sweeps, sweepVisited, sweepMaxVisited;
    /** RAM pages decrease_reservation moved into the cache instead of freeing them. */
    public long stolen;
    /** Gfns marked PoD entry by entry because the view's PoD extent table was full. */
    public long markedPerGfn;

    @Override public String toString() {
        return "populated=" + populated + " zeroChecks=" + zeroChecks + " zeroReclaimed=" + zeroReclaimed
                + " raced=" + reclaimRaced + " sweeps=" + sweeps + " sweepVisited=" + sweepVisited
                + " sweepMax=" + sweepMaxVisited + " stolen=" + stolen + " markedPerGfn=" + markedPerGfn;
    }
}
