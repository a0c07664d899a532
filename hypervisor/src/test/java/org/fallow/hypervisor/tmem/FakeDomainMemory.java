package org.fallow.hypervisor.tmem;

import org.fallow.hypervisor.core.DomainMemory;
import org.fallow.hypervisor.core.HostMemory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashSet;
import java.util.Set;

/**
 * A test domain: {@code frames} guest frames in one heap-free segment, tot/max_pages accounting whose extra pages
 * come from the host, and a set of gfns that are "not RAM" (ramFrame returns null, as for a paged-out frame).
 */
final class FakeDomainMemory implements DomainMemory {
    final MemorySegment ram;
    final long frames;
    final HostMemory host;
    long maxPages;
    long totPages;
    final Set<Long> notRam = new HashSet<>();

    FakeDomainMemory(HostMemory host, long frames, long maxPages, long totPages) {
        this.host = host;
        this.frames = frames;
        this.maxPages = maxPages;
        this.totPages = totPages;
        this.ram = Arena.ofAuto().allocate(frames * 4096, 4096);
    }

    @Override public long maxPages() { return maxPages; }

    @Override public long totPages() { return totPages; }

    @Override public boolean allocateExtra(long n) {
        if (totPages + n > maxPages) return false;
        if (host != null && !host.allocate(n)) return false; // as DomainPhysmap.assign: alloc_heap_pages rules
        totPages += n;
        return true;
    }

    @Override public void releaseExtra(long n) {
        if (n > totPages) throw new IllegalStateException("release " + n + " of " + totPages);
        totPages -= n;
        if (host != null) host.free(n);
    }

    @Override public boolean stealExtra(long n) {
        if (n > totPages) throw new IllegalStateException("steal " + n + " of " + totPages);
        totPages -= n;
        return true;
    }

    @Override public MemorySegment ramFrame(long gfn) {
        if (gfn < 0 || gfn >= frames || notRam.contains(gfn)) return null;
        return ram.asSlice(gfn * 4096, 4096);
    }
}
