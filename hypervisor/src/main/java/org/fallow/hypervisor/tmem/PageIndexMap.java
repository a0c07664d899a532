package org.fallow.hypervisor.tmem;

/**
 * The pages of one object keyed by their 32-bit index (Xen's per-object radix tree): open addressing with linear
 * probing over one {@code int[]}. A slot holds a page handle (24 bits) and its distance from its home slot (8 bits,
 * {@link #FAR} = 255 or more); the key itself is the page's index column in the {@link PageTable}, read only for an
 * entry with the same home slot as the key looked for:
 *
 * <pre>
 *   31        24 23                     0
 *  +------------+------------------------+
 *  |  distance  |  page handle (0 = free) |
 *  +------------+------------------------+
 * </pre>
 *
 * The distance gives every entry's home without reading the page table, so a removal's backward shift costs no
 * page-table reads (random reads of a column that grows with the pages stored); only entries {@link #FAR} from home
 * (which a guest's chosen indices can force) need their key read back.
 * Capacities step by 1.5x / 1.33x (4, 6, 8, 12, 16, 24, ...) with the home slot by multiply-shift, and the load is
 * kept at most 13/16, so a stored page costs 4.9-7.4 bytes here (at most 8 for tiny objects).
 */
final class PageIndexMap {
    private final PageTable table;
    private int[] slots = new int[4];
    private int size;

    PageIndexMap(PageTable table) { this.table = table; }

    static int mix(int k) {
        int h = k * 0x9E3779B9;
        return h ^ (h >>> 15) ^ (h << 7);
    }

    private static int home(int hash, int cap) { return (int) (((hash & 0xFFFFFFFFL) * cap) >>> 32); }

    private static final int HANDLE = 0xFFFFFF;
    /** The distance field's largest value: this far from home or farther (the home is then found from the key). */
    static final int FAR = 0xFF;

    private static int slot(int distance, int h) { return Math.min(distance, FAR) << 24 | h; }

    /** Whether the entry {@code s}, {@code d} probe steps from the looked-for key's home, may have that home. */
    private static boolean sameHome(int s, int d) {
        int sd = s >>> 24;
        return sd == d || (sd == FAR && d >= FAR);
    }

    private static int next(int i, int cap) { return i + 1 == cap ? 0 : i + 1; }

    int size() { return size; }

    boolean isEmpty() { return size == 0; }

    /** Slots allocated (4 bytes each). */
    int capacity() { return slots.length; }

    /** The page with index {@code key}, or {@link PageTable#NIL}. */
    int get(int key) {
        int cap = slots.length;
        for (int i = home(mix(key), cap), d = 0; ; i = next(i, cap), d++) {
            int s = slots[i];
            if (s == 0) return PageTable.NIL;
            if (sameHome(s, d) && table.index(s & HANDLE) == key) return s & HANDLE;
        }
    }

    /** Inserts page {@code h} under its index; returns the page it replaced, or NIL. */
    int put(int h) {
        if (h <= 0 || h > HANDLE) throw new IllegalArgumentException("page handle " + h);
        if ((size + 1) * 16L > slots.length * 13L) grow();
        int key = table.index(h), cap = slots.length;
        for (int i = home(mix(key), cap), d = 0; ; i = next(i, cap), d++) {
            int s = slots[i];
            if (s == 0) {
                slots[i] = slot(d, h);
                size++;
                return PageTable.NIL;
            }
            if (sameHome(s, d) && table.index(s & HANDLE) == key) {
                slots[i] = slot(d, h);
                return s & HANDLE;
            }
        }
    }

    /** Removes index {@code key}; returns its page or NIL (backward-shift deletion keeps probe chains intact). */
    int remove(int key) {
        int cap = slots.length;
        int i = home(mix(key), cap);
        for (int d = 0; ; i = next(i, cap), d++) {
            int s = slots[i];
            if (s == 0) return PageTable.NIL;
            if (sameHome(s, d) && table.index(s & HANDLE) == key) break;
        }
        int old = slots[i] & HANDLE;
        int hole = i;
        for (int j = next(i, cap); slots[j] != 0; j = next(j, cap)) {
            int s = slots[j], sd = s >>> 24;
            int h = sd != FAR ? (j >= sd ? j - sd : j - sd + cap) : home(mix(table.index(s & HANDLE)), cap);
            // move j into the hole if its home is not cyclically in (hole, j]
            boolean stays = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j);
            if (!stays) {
                slots[hole] = slot(hole >= h ? hole - h : hole - h + cap, s & HANDLE);
                hole = j;
            }
        }
        slots[hole] = 0;
        size--;
        return old;
    }

    /** A snapshot of the page handles (safe to modify the map while iterating it). */
    int[] values() {
        int[] out = new int[size];
        int n = 0;
        for (int s : slots) if (s != 0) out[n++] = s & HANDLE;
        return out;
    }

    private void grow() {
        int[] old = slots;
        int cap = old.length;
        // 4 -> 6 -> 8 -> 12 -> 16 -> 24 ...: alternately x1.5 (from a power of two) and x4/3
        slots = new int[Integer.bitCount(cap) == 1 ? cap + cap / 2 : cap / 3 * 4];
        size = 0;
        for (int s : old) if (s != 0) put(s & HANDLE);
    }
}
