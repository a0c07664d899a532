package org.fallow.hypervisor.paging;

import org.fallow.abi.xen.VmEventConstants;
import org.fallow.abi.ring.FrontRing;
import org.fallow.abi.ring.SharedRing;
import org.fallow.hypervisor.core.Peer;

import org.fallow.abi.fs.SafeFiles;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;

/**
 * The hypervisor's end of one domain's paging ring: Xen's "own reference" to the ring page, kept in a hypervisor
 * file {@code dom<D>.vmring} that the pager maps too (see PROTOCOL.md §3.4), the front-ring private indices, and the
 * event channel to the pager. The ring is <em>armed</em> once the pager has initialised the shared page and shown
 * life (an event-channel kick or a paging op); requests are only placed on an armed ring.
 */
final class PagingRing implements AutoCloseable {
    final long ringGfn;
    /** The ring file {@code dom<D>.vmring} (4.12 / 2009 rings), or null when the ring is the ring gfn's frame (4.17). */
    final Path file;
    /** vm_event interface version of this ring: that of the profile of the connection that enabled it (4 or 7). */
    final int version;
    /** Take a response whose version is not {@link #version} as if it were (the enabler's HELLO flag bit 0). */
    final boolean responseCompat;
    boolean compatLogged;
    private final Arena arena;
    final MemorySegment page;
    final SharedRing sring;
    FrontRing front;
    int port;
    Peer pager;
    boolean armed;

    private PagingRing(long ringGfn, Path file, Arena arena, MemorySegment page, int entrySize, int version,
                       boolean responseCompat) {
        this.ringGfn = ringGfn;
        this.file = file;
        this.version = version;
        this.responseCompat = responseCompat;
        this.arena = arena;
        this.page = page;
        this.sring = new SharedRing(page, entrySize);
        this.front = new FrontRing(sring);
    }

    /** Creates the ring file with the current contents of the ring gfn's frame (vm_event version 4, strict). */
    static PagingRing create(long ringGfn, Path file, MemorySegment initial, int entrySize) throws IOException {
        return create(ringGfn, file, initial, entrySize, VmEventConstants.VM_EVENT_INTERFACE_VERSION, false);
    }

    /**
     * The ring of a 4.17 connection: the ring gfn's own frame, mapped from the domain's memory file (where the pager
     * mapped it before ENABLE, as xenpaging does), not a copy.
     */
    static PagingRing inFrame(long ringGfn, Path memoryFile, int entrySize, int version, boolean responseCompat) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = org.fallow.abi.fs.SafeFiles.openExisting(memoryFile, true)) {
            MemorySegment page = ch.map(FileChannel.MapMode.READ_WRITE, ringGfn * 4096, 4096, arena);
            return new PagingRing(ringGfn, null, arena, page, entrySize, version, responseCompat);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Creates the ring file with the current contents of the ring gfn's frame. */
    static PagingRing create(long ringGfn, Path file, MemorySegment initial, int entrySize, int version,
                             boolean responseCompat) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = SafeFiles.replace(file)) {
            ch.write(java.nio.ByteBuffer.allocate(4096));
            MemorySegment page = ch.map(FileChannel.MapMode.READ_WRITE, 0, 4096, arena);
            page.copyFrom(initial.asSlice(0, 4096));
            return new PagingRing(ringGfn, file, arena, page, entrySize, version, responseCompat);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** A new pager attached (fresh enable or re-attach): it will SHARED_RING_INIT; we restart at index 0. */
    void attach(int port, Peer pager) {
        this.port = port;
        this.pager = pager;
        this.front = new FrontRing(sring);
        this.armed = false;
    }

    boolean pagerGone() { return pager != null && !pager.isOpen(); }

    @Override public void close() {
        arena.close();
        if (file == null) return;
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // best effort: the run directory is removed at hypervisor shutdown anyway
        }
    }
}
