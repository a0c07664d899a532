package org.fallow.guest.mm;

import org.fallow.guest.hv.PhysMem;

import static org.fallow.abi.Hypercalls.PAGE_SIZE;

/**
 * The content the simulated guest stores in a data page, so that every page that comes back (from tmem, the swap
 * device or a repopulated frame) can be checked: a 32-byte header {magic, owner id, page number, version} and a
 * checksum in the last 8 bytes; the rest of the page is zero.
 *
 * <pre>
 *  0 u64 magic ("FLWFILE\0" or "FLWANON\0")
 *  8 u64 owner (inode or pid)
 * 16 u64 page  (file page index or virtual page)
 * 24 u64 version
 * 4088 u64 checksum of the four words above
 * </pre>
 */
public final class PageSignature {
    private PageSignature() {}

    public static final long FILE_MAGIC = 0x00454C4946574C46L; // "FLWFILE\0"
    public static final long ANON_MAGIC = 0x004E4F4E41574C46L; // "FLWANON\0"

    public static long checksum(long magic, long owner, long page, long version) {
        long h = magic * 0x9E3779B97F4A7C15L;
        h = (h ^ owner) * 0xBF58476D1CE4E5B9L;
        h = (h ^ page) * 0x94D049BB133111EBL;
        h = (h ^ version) * 0x9E3779B97F4A7C15L;
        return h ^ (h >>> 31);
    }

    public static void write(PhysMem mem, int gfn, long magic, long owner, long page, long version) {
        long a = PhysMem.gpa(gfn);
        mem.writeLong(a, magic);
        mem.writeLong(a + 8, owner);
        mem.writeLong(a + 16, page);
        mem.writeLong(a + 24, version);
        mem.writeLong(a + PAGE_SIZE - 8, checksum(magic, owner, page, version));
    }

    public static boolean matches(PhysMem mem, int gfn, long magic, long owner, long page, long version) {
        long a = PhysMem.gpa(gfn);
        return mem.readLong(a) == magic && mem.readLong(a + 8) == owner && mem.readLong(a + 16) == page
                && mem.readLong(a + 24) == version
                && mem.readLong(a + PAGE_SIZE - 8) == checksum(magic, owner, page, version);
    }

    public static boolean matches(byte[] page, long magic, long owner, long pageNo, long version) {
        return le(page, 0) == magic && le(page, 8) == owner && le(page, 16) == pageNo && le(page, 24) == version
                && le(page, PAGE_SIZE - 8) == checksum(magic, owner, pageNo, version);
    }

    private static long le(byte[] b, int off) {
        long v = 0;
        for (int i = 7; i >= 0; i--) v = (v << 8) | (b[off + i] & 0xFF);
        return v;
    }
}
