package org.fallow.hypervisor.tmem;

/**
 * One stored page (Xen's page descriptor, {@code pgp}). Its data is a raw 4096-byte copy (one page of memory) or
 * LZO1X bytes (charged to a {@link ByteArena}); an all-zero page is stored and charged like any other (Xen 4.12 has no
 * zero-page shortcut). Ephemeral pages sit on two intrusive LRU lists: the global one and their pool owner's.
 */
final class TmemPage {
    final TmemObject obj;
    final int index;
    /** Length {@link TmemDefs#PAGE_SIZE} and !compressed = raw; else LZO1X data; null only while being (re)written. */
    byte[] data;
    boolean compressed;
    TmemPage globalPrev, globalNext, clientPrev, clientNext;
    /** True while linked into the ephemeral LRU lists. */
    boolean onLru;

    TmemPage(TmemObject obj, int index) {
        this.obj = obj;
        this.index = index;
    }

    int compressedSize() { return compressed ? data.length : 0; }
}
