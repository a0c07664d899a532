package org.fallow.xc.xenpaging;

import java.lang.foreign.MemorySegment;

import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;

/** Deterministic page contents written by the paging test guest and checked by the pager tests and {@code fallow bench paging} for (gfn, version): every 8-byte word differs, so a misplaced or stale page is caught. */
public final class PageStamp {

    private PageStamp() {}

    public static long word(long gfn, long version, int i) {
        long x = gfn * 0x9E3779B97F4A7C15L ^ version * 0xC2B2AE3D27D4EB4FL ^ i * 0x165667B19E3779F9L;
        return x ^ (x >>> 29);
    }

    public static void write(MemorySegment page, long gfn, long version) {
        for (int i = 0; i < 512; i++) page.set(U64_UNALIGNED, i * 8L, word(gfn, version, i));
    }

    /** −1 if the page holds (gfn, version), else the index of the first wrong word. */
    public static int check(MemorySegment page, long gfn, long version) {
        for (int i = 0; i < 512; i++) if (page.get(U64_UNALIGNED, i * 8L) != word(gfn, version, i)) return i;
        return -1;
    }
}
