package org.fallow.hypervisor.tmem;

import java.util.ArrayList;
import java.util.List;

/**
 * The pages of one object keyed by their 32-bit index (Xen's per-object radix tree): an open-addressing hash map
 * with linear probing over an {@code int[]} of keys and a parallel array of pages (null = free slot), so a stored
 * page costs two array slots instead of a boxed key and a map entry. Load factor at most 1/2.
 */
final class PageIndexMap {
    private int[] keys = new int[4];
    private TmemPage[] vals = new TmemPage[4];
    private int size;

    private static int mix(int k) {
        int h = k * 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    int size() { return size; }

    boolean isEmpty() { return size == 0; }

    TmemPage get(int key) {
        int mask = keys.length - 1;
        for (int i = mix(key) & mask; vals[i] != null; i = (i + 1) & mask) if (keys[i] == key) return vals[i];
        return null;
    }

    /** Inserts or replaces; returns the previous page or null. */
    TmemPage put(int key, TmemPage page) {
        if (page == null) throw new IllegalArgumentException("null page");
        if ((size + 1) * 2 > keys.length) grow();
        int mask = keys.length - 1;
        int i = mix(key) & mask;
        for (; vals[i] != null; i = (i + 1) & mask) {
            if (keys[i] == key) {
                TmemPage old = vals[i];
                vals[i] = page;
                return old;
            }
        }
        keys[i] = key;
        vals[i] = page;
        size++;
        return null;
    }

    /** Removes {@code key}; returns its page or null (backward-shift deletion keeps probe chains intact). */
    TmemPage remove(int key) {
        int mask = keys.length - 1;
        int i = mix(key) & mask;
        for (; vals[i] != null; i = (i + 1) & mask) if (keys[i] == key) break;
        TmemPage old = vals[i];
        if (old == null) return null;
        int hole = i;
        for (int j = (i + 1) & mask; vals[j] != null; j = (j + 1) & mask) {
            int home = mix(keys[j]) & mask;
            // move j into the hole if its home is not cyclically in (hole, j]
            boolean stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
            if (!stays) {
                keys[hole] = keys[j];
                vals[hole] = vals[j];
                hole = j;
            }
        }
        vals[hole] = null;
        size--;
        return old;
    }

    /** A snapshot of the pages (safe to modify the map while iterating it). */
    List<TmemPage> values() {
        List<TmemPage> out = new ArrayList<>(size);
        for (TmemPage p : vals) if (p != null) out.add(p);
        return out;
    }

    private void grow() {
        int[] ok = keys;
        TmemPage[] ov = vals;
        keys = new int[ok.length * 2];
        vals = new TmemPage[ov.length * 2];
        size = 0;
        for (int i = 0; i < ov.length; i++) if (ov[i] != null) put(ok[i], ov[i]);
    }
}
