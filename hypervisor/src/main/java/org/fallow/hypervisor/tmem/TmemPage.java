package org.fallow.hypervisor.tmem;

/**
 * One stored page (Xen's page descriptor, {@code pgp}). Its data is either a marker for an all-zero page
 * ({@code data == null}, costing no page), a raw 4096-byte copy (one page of memory), or LZO1X bytes (charged to a
 * {@link ByteArena}). Ephemeral pages sit on two intrusive LRU lists: the global one and their pool owner's.
 */
final class TmemPage {
    final TmemObject obj;
    final int index;
    /** null = zero page; length {@link TmemDefs#PAGE_SIZE} and !compressed = raw; else LZO1X data. */
    byte[] data;
    boolean compressed;
    TmemPage globalPrev, globalNext, clientPrev, clientNext;
    /** True while linked into the ephemeral LRU lists. */
    boolean onLru;

    TmemPage(TmemObject obj, int index) {
        this.obj = obj;
        this.index = index;
    }

    boolean zero() { return data == null; }

    int compressedSize() { return compressed ? data.length : 0; }
}
