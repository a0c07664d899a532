package org.fallow.hypervisor.tmem;

/**
 * Where stored pages come from: the host's free memory for ephemeral data (through tmem's own free list), or the
 * client domain's allocation for persistent data (counted in tot_pages).
 */
interface PageBudget {
    /** Takes one page; false if none can be had. */
    boolean take();

    /** Gives one page back. */
    void give();
}
