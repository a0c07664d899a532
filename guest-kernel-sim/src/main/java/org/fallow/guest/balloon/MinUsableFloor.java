package org.fallow.guest.balloon;

/**
 * The selfballoon floor (xen-selfballoon.c, v5.2): the least totalram the guest will balloon down to.
 * <pre>
 * min_usable_mb set:        totalreserve + MB2PAGES(min_usable_mb)
 * useful &lt;  16 MiB:         max_pfn ("not worth ballooning")
 * useful &lt;  64 MiB:         totalreserve + 16 MiB + (useful - 16 MiB) / 2
 * useful &lt; 512 MiB:         totalreserve + 40 MiB + (useful - 40 MiB) / 8
 * otherwise:                totalreserve + 99 MiB + (useful - 99 MiB) / 32
 * </pre>
 * with useful = max_pfn - totalreserve; all in pages, integer division, MB2PAGES(x) = x &lt;&lt; 8.
 */
public final class MinUsableFloor {
    private MinUsableFloor() {}

    public static long mb2pages(long mb) { return mb << 8; }

    public static long floorPages(long maxPfn, long totalReserve, long minUsableMb) {
        if (minUsableMb != 0) return totalReserve + mb2pages(minUsableMb);
        long useful = maxPfn - totalReserve;
        if (useful < mb2pages(16)) return maxPfn;
        if (useful < mb2pages(64)) return totalReserve + mb2pages(16) + (useful - mb2pages(16)) / 2;
        if (useful < mb2pages(512)) return totalReserve + mb2pages(40) + (useful - mb2pages(40)) / 8;
        return totalReserve + mb2pages(99) + (useful - mb2pages(99)) / 32;
    }
}
