package org.fallow.hypervisor.paging;

import org.fallow.abi.wire.P2mHeader;
import org.fallow.hypervisor.core.HostMemory;

import org.fallow.abi.fs.SafeFiles;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.fallow.abi.xen.XenLayouts.U32;
import static org.fallow.abi.xen.HvmOpConstants.HVM_PARAM_PAGING_RING_PFN;

/**
 * A minimal {@link PagingMemory} over the files of PROTOCOL.md §3.2-3.3 ({@code dom<D>.mem}, {@code dom<D>.p2m}),
 * for running paging without the guest-memory subsystem (paging tests, benchmarks). Every frame starts as RAM.
 * Released frames are zeroed (the real memory subsystem punches holes).
 */
public final class StandalonePagingMemory implements PagingMemory, AutoCloseable {
    private static final VarHandle WORD = U32.varHandle();

    private final long nrFrames;
    private final HostMemory host;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment mem;
    private final MemorySegment p2m;
    private final Path memFile;
    private final Path p2mFile;
    private long totPages;
    private long pagedPages;
    private final java.util.BitSet unbacked = new java.util.BitSet();
    private final Path runDir;
    private long hvmParamRing;
    private volatile long podEntries;

    public StandalonePagingMemory(Path runDir, int domid, long nrFrames, HostMemory host) throws IOException {
        this.nrFrames = nrFrames;
        this.host = host;
        this.runDir = runDir;
        this.memFile = runDir.resolve("dom" + domid + ".mem");
        this.p2mFile = runDir.resolve("dom" + domid + ".p2m");
        this.mem = map(memFile, nrFrames * 4096);
        this.p2m = map(p2mFile, P2mHeader.fileSize(nrFrames));
        // every frame starts as RAM (an unset entry would be invalid)
        for (long g = 0; g < nrFrames; g++) WORD.setVolatile(p2m, P2mHeader.entryOffset(g), P2mHeader.withType(0, P2M_RAM_RW));
        new P2mHeader().wrap(p2m, 0).magic(P2mHeader.MAGIC).version(P2mHeader.VERSION).nrFrames(nrFrames);
        if (!host.allocate(nrFrames)) throw new IllegalStateException("host has no room for " + nrFrames + " pages");
        totPages = nrFrames;
    }

    private MemorySegment map(Path f, long size) throws IOException {
        try (FileChannel ch = SafeFiles.replace(f)) {
            if (size > 0) ch.write(java.nio.ByteBuffer.allocate(1), size - 1);
            return ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
        }
    }

    public Path memFile() { return memFile; }

    public Path p2mFile() { return p2mFile; }

    /** The guest-visible memory (all frames). */
    public MemorySegment memory() { return mem; }

    /** The shared p2m file contents (header + words). */
    public MemorySegment p2m() { return p2m; }

    public synchronized long totPages() { return totPages; }

    public void hvmParamRing(long gfn) { hvmParamRing = gfn; }

    private volatile boolean hap = true;

    /** Tests: a domain without hardware-assisted paging (PV, or HVM created without XEN_DOMCTL_CDF_hap). */
    public void hap(boolean on) { hap = on; }

    @Override public boolean hap() { return hap; }

    /** decrease_reservation of one gfn that is RAM (the pager removing the ring gfn). */
    public synchronized boolean removeRam(long gfn) {
        int w = p2mWord(gfn);
        if (PagingMemory.type(w) != P2M_RAM_RW || !casP2mWord(gfn, w, PagingMemory.withType(w, P2M_INVALID))) return false;
        frame(gfn).fill((byte) 0);
        unbacked.set((int) gfn);
        totPages--;
        host.free(1);
        return true;
    }

    /** populate_physmap of one invalid gfn. */
    public synchronized boolean populate(long gfn) {
        int w = p2mWord(gfn);
        if (PagingMemory.type(w) != P2M_INVALID || !host.allocate(1)) return false;
        casP2mWord(gfn, w, PagingMemory.withType(w, P2M_RAM_RW));
        unbacked.clear((int) gfn);
        totPages++;
        return true;
    }

    @Override public long maxPages() { return nrFrames; }

    @Override public int p2mWord(long gfn) { return (int) WORD.getVolatile(p2m, P2mHeader.entryOffset(gfn)); }

    @Override public boolean casP2mWord(long gfn, int expect, int update) {
        return WORD.compareAndSet(p2m, P2mHeader.entryOffset(gfn), expect, update);
    }

    @Override public MemorySegment frame(long gfn) { return mem.asSlice(gfn * 4096, 4096); }

    @Override public synchronized void releaseFrame(long gfn) {
        frame(gfn).fill((byte) 0);
        unbacked.set((int) gfn);
        totPages--;
        host.free(1);
    }

    @Override public synchronized boolean allocateFrame(long gfn) {
        if (!host.allocate(1)) return false;
        unbacked.clear((int) gfn);
        totPages++;
        return true;
    }

    @Override public synchronized boolean backed(long gfn) { return !unbacked.get((int) gfn); }

    @Override public synchronized long pagedPages() { return pagedPages; }

    @Override public synchronized void pagedPagesAdd(long delta) { pagedPages += delta; }

    @Override public Path runDir() { return runDir; }

    @Override public long podEntries() { return podEntries; }

    /** Pretends this many PoD entries are outstanding (paging enable must then fail with -EXDEV). */
    public void podEntries(long n) { podEntries = n; }

    @Override public long hvmParam(int index) { return index == HVM_PARAM_PAGING_RING_PFN ? hvmParamRing : 0; }

    @Override public void close() {
        arena.close();
    }
}
