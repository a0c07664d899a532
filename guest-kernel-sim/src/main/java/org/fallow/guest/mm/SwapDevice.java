package org.fallow.guest.mm;

import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * A swap device (swap type {@code type}) with {@code slots} 4 KiB slots; slot 0 is the swap header, as in Linux. The
 * "disk" is an in-memory store of page copies on the guest side; reads and writes are counted as I/O.
 */
public final class SwapDevice {
    private final int type;
    private final int slots;
    private final BitSet used = new BitSet();
    private final Map<Integer, byte[]> disk = new HashMap<>();
    private int usedCount;
    private long pagesWritten, pagesRead;
    private int nextHint = 1;

    public SwapDevice(int type, int slots) {
        if (slots < 2) throw new IllegalArgumentException("swap device needs at least 2 slots");
        this.type = type;
        this.slots = slots;
    }

    public int type() { return type; }
    public int slots() { return slots; }
    public int usedSlots() { return usedCount; }
    public int freeSlots() { return slots - 1 - usedCount; }
    public long pagesWritten() { return pagesWritten; }
    public long pagesRead() { return pagesRead; }

    /** vm_swap_full(): more than half the slots in use. */
    public boolean full() { return usedCount * 2 > slots - 1; }

    /** Allocates a slot (offset ≥ 1), or -1 if the device is full. */
    public int allocate() {
        int s = used.nextClearBit(nextHint);
        if (s >= slots) s = used.nextClearBit(1);
        if (s >= slots) return -1;
        used.set(s);
        usedCount++;
        nextHint = s + 1 >= slots ? 1 : s + 1;
        return s;
    }

    public void free(int slot) {
        if (!used.get(slot)) throw new IllegalStateException("swap slot " + slot + " not in use");
        used.clear(slot);
        usedCount--;
        disk.remove(slot);
    }

    public void write(int slot, byte[] page) {
        disk.put(slot, page.clone());
        pagesWritten++;
    }

    /** The page stored in {@code slot}, or null if it was never written to disk (it lives in frontswap). */
    public byte[] read(int slot) {
        byte[] p = disk.get(slot);
        if (p != null) pagesRead++;
        return p;
    }

    public boolean onDisk(int slot) { return disk.containsKey(slot); }

    /** Drops the disk copy without freeing the slot (the slot's data now lives in frontswap). */
    public void discard(int slot) { disk.remove(slot); }
}
