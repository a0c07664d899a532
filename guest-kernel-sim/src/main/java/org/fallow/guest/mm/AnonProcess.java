package org.fallow.guest.mm;

import java.util.Arrays;

/**
 * A process's anonymous memory: {@code size} committed virtual pages; each is untouched, resident in a frame, and/or
 * backed by a swap slot (a resident page with a slot is a clean swap-cache page).
 */
public final class AnonProcess {
    private final int pid;
    int size;
    int[] gfn = new int[0];
    int[] slot = new int[0];
    long[] version = new long[0];
    boolean alive = true;
    int resident;

    AnonProcess(int pid) { this.pid = pid; }

    public int pid() { return pid; }
    public int size() { return size; }
    public boolean alive() { return alive; }
    public int residentPages() { return resident; }

    void grow(int newSize) {
        if (newSize > gfn.length) {
            int cap = Math.max(newSize, gfn.length * 2);
            int old = gfn.length;
            gfn = Arrays.copyOf(gfn, cap);
            slot = Arrays.copyOf(slot, cap);
            version = Arrays.copyOf(version, cap);
            Arrays.fill(gfn, old, cap, -1);
            Arrays.fill(slot, old, cap, -1);
        }
        size = newSize;
    }

    @Override public String toString() { return "pid " + pid + " (" + size + " pages, " + resident + " resident)"; }
}
