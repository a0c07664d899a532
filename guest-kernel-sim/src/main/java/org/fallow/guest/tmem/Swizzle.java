package org.fallow.guest.tmem;

/**
 * drivers/xen/tmem.c's frontswap key "swizzle": consecutive swap offsets rotate over 16 tmem objects per swap type.
 * oid[0] = type << 4 | (offset & 15), index = offset >> 4 (offset as u32).
 */
public final class Swizzle {
    private Swizzle() {}

    public static final int SWIZ_BITS = 4;
    public static final int SWIZ_MASK = (1 << SWIZ_BITS) - 1;

    public static long oid(int type, int ind) { return ((long) type << SWIZ_BITS) | (ind & SWIZ_MASK); }

    public static int index(int ind) { return ind >>> SWIZ_BITS; }
}
