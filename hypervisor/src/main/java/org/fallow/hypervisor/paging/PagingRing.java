package org.fallow.hypervisor.paging;

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
    final Path file;
    private final Arena arena;
    final MemorySegment page;
    final SharedRing sring;
    FrontRing front;
    int port;
    Peer pager;
    boolean armed;

    private PagingRing(long ringGfn, Path file, Arena arena, MemorySegment page, int entrySize) {
        this.ringGfn = ringGfn;
        this.file = file;
        this.arena = arena;
        this.page = page;
        this.sring = new SharedRing(page, entrySize);
        this.front = new FrontRing(sring);
    }

    /** Creates the ring file with the current contents of the ring gfn's frame. */
    static PagingRing create(long ringGfn, Path file, MemorySegment initial, int entrySize) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = SafeFiles.replace(file)) {
            ch.write(java.nio.ByteBuffer.allocate(4096));
            MemorySegment page = ch.map(FileChannel.MapMode.READ_WRITE, 0, 4096, arena);
            page.copyFrom(initial.asSlice(0, 4096));
            return new PagingRing(ringGfn, file, arena, page, entrySize);
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
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // best effort: the run directory is removed at hypervisor shutdown anyway
        }
    }
}
