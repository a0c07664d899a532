package org.fallow.hypervisor.tmem;

/**
 * The pages of one object keyed by their 32-bit index (Xen's per-object radix tree): open addressing with linear
 * probing over one {@code int[]}. A slot holds a page handle (24 bits) and an 8-bit fingerprint of its key; the key
 * itself is the page's index column in the {@link PageTable}, read only when a fingerprint matches:
 *
 * <pre>
 *   31        24 23                     0
 *  +------------+------------------------+
 *  | fingerprint|  page handle (0 = free) |
 *  +------------+------------------------+
 * </pre>
 *
 * Capacities step by 1.5x / 1.33x (4, 6, 8, 12, 16, 24, ...) with the home slot by multiply-shift, and the load is
 * kept at most 13/16, so a stored page costs 4.9-7.4 bytes here (at most 8 for tiny objects).
 */
final class PageIndexMap {
    private final PageTable table;
    private int[] slots = new int[4];
    private int size;

    PageIndexMap(PageTable table) { this.table = table; }

    private static int mix(int k) {
        int h = k * 0x9E3779B9;
        return h ^ (h >>> 15) ^ (h << 7);
    }

    private static int home(int hash, int cap) { return (int) (((hash & 0xFFFFFFFFL) * cap) >>> 32); }

    private static int tag(int hash) { return (hash & 0xFF) << 24; }

    private static final int HANDLE = 0xFFFFFF;

    int size() { return size; }

    boolean isEmpty() { return size == 0; }

    /** Slots allocated (4 bytes each). */
    int capacity() { return slots.length; }

    /** The page with index {@code key}, or {@link PageTable#NIL}. */
    int get(int key) {
        int hash = mix(key), t = tag(hash), cap = slots.length;
        for (int i = home(hash, cap); ; i = i + 1 == cap ? 0 : i + 1) {
            int s = slots[i];
            if (s == 0) return PageTable.NIL;
            if ((s & ~HANDLE) == t && table.index(s & HANDLE) == key) return s & HANDLE;
        }
    }

    /** Inserts page {@code h} under its index; returns the page it replaced, or NIL. */
    int put(int h) {
        if (h <= 0 || h > HANDLE) throw new IllegalArgumentException("page handle " + h);
        if ((size + 1) * 16L > slots.length * 13L) grow();
        int key = table.index(h), hash = mix(key), t = tag(hash), cap = slots.length;
        for (int i = home(hash, cap); ; i = i + 1 == cap ? 0 : i + 1) {
            int s = slots[i];
            if (s == 0) {
                slots[i] = t | h;
                size++;
                return PageTable.NIL;
            }
            if ((s & ~HANDLE) == t && table.index(s & HANDLE) == key) {
                slots[i] = t | h;
                return s & HANDLE;
            }
        }
    }

    /** Removes index {@code key}; returns its page or NIL (backward-shift deletion keeps probe chains intact). */
    int remove(int key) {
        int hash = mix(key), t = tag(hash), cap = slots.length;
        int i = home(hash, cap);
        for (; ; i = i + 1 == cap ? 0 : i + 1) {
            int s = slots[i];
            if (s == 0) return PageTable.NIL;
            if ((s & ~HANDLE) == t && table.index(s & HANDLE) == key) break;
        }
        int old = slots[i] & HANDLE;
        int hole = i;
        for (int j = i + 1 == cap ? 0 : i + 1; slots[j] != 0; j = j + 1 == cap ? 0 : j + 1) {
            int h = home(mix(table.index(slots[j] & HANDLE)), cap);
            // move j into the hole if its home is not cyclically in (hole, j]
            boolean stays = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j);
            if (!stays) {
                slots[hole] = slots[j];
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
