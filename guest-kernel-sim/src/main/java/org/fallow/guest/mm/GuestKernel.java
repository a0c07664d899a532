package org.fallow.guest.mm;

import org.fallow.guest.hv.HypercallArgs;
import org.fallow.guest.hv.PhysMem;
import org.fallow.guest.tmem.Cleancache;
import org.fallow.guest.tmem.Frontswap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.fallow.abi.Hypercalls.PAGE_SIZE;

/**
 * The simulated guest kernel's memory management: page allocator over the guest's frames, a page cache over simulated
 * files (clean pages evicted by LRU into cleancache), anonymous memory of processes (evicted by LRU to frontswap or the
 * swap device), and reclaim driven by the frames the guest owns (what the balloon leaves it). Every data page carries
 * a {@link PageSignature}, checked whenever a page comes back; mismatches count as {@link KernelStats#dataErrors}.
 * Single-threaded.
 */
public final class GuestKernel {
    private static final Logger log = LoggerFactory.getLogger(GuestKernel.class);
    static final int RECLAIM_BATCH = 32;

    private final PhysMem mem;
    private final PageAllocator alloc;
    private final int kernelPages;
    private final HypercallArgs hypercallArgs;
    private final long totalReservePages;
    private final long lowWatermark;
    private final KernelStats stats = new KernelStats();
    private Cleancache cleancache = new Cleancache(null);
    private Frontswap frontswap = new Frontswap(null);

    private final LinkedHashMap<Long, Integer> cacheLru = new LinkedHashMap<>(1024, 0.75f, true);
    private final Map<Long, SimFile> files = new HashMap<>();
    private final List<FileSystem> filesystems = new ArrayList<>();
    private long nextIno = 12;

    private final LinkedHashMap<Long, Integer> anonLru = new LinkedHashMap<>(1024, 0.75f, true);
    private final Map<Integer, AnonProcess> procs = new LinkedHashMap<>();
    private int nextPid = 100;
    private long baseCommittedPages;

    private SwapDevice swap;
    private long[] slotOwner = new long[0];
    private final byte[] scratch = new byte[PAGE_SIZE];

    /**
     * Boots on {@code mem}: gfns 0..kernelPages-1 are the kernel (image, memmap, hypercall buffers: gfn 1 and 2); the
     * rest goes to the page allocator. {@code touchKernel} writes the kernel frames (as loading an image does).
     */
    public GuestKernel(PhysMem mem, int kernelPages) {
        if (kernelPages < 3 || kernelPages >= mem.frames()) throw new IllegalArgumentException("kernel pages " + kernelPages);
        this.mem = mem;
        this.alloc = new PageAllocator(mem.frames(), g -> mem.bootState(g));
        this.kernelPages = kernelPages;
        int[] kernel = new int[kernelPages];
        for (int i = 0; i < kernelPages; i++) {
            kernel[i] = alloc.allocate(FrameKind.KERNEL);
            if (kernel[i] < 0) throw new IllegalArgumentException("not enough RAM for " + kernelPages + " kernel frames");
        }
        this.hypercallArgs = new HypercallArgs(kernel[1], kernel[2]);
        long lowmemKiB = (long) (alloc.ownedPages() - kernelPages) * 4;
        long minFreeKiB = Math.clamp((long) Math.sqrt(lowmemKiB * 16.0), 128, 65536);
        this.totalReservePages = minFreeKiB * 3 / 2 / 4;
        this.lowWatermark = minFreeKiB * 5 / 4 / 4;
        this.baseCommittedPages = Math.max(64, (alloc.ownedPages() - kernelPages) / 32);
    }

    /** Kernel frames needed for a guest of {@code maxPfn} frames: image + memmap (64 bytes per frame) + buffers. */
    public static int defaultKernelPages(long maxPfn) { return (int) Math.min(maxPfn / 4, 64 + (maxPfn * 64 + 4095) / 4096); }

    public PhysMem mem() { return mem; }
    public PageAllocator allocator() { return alloc; }
    public HypercallArgs hypercallArgs() { return hypercallArgs; }
    public KernelStats stats() { return stats; }
    public Cleancache cleancache() { return cleancache; }
    public Frontswap frontswap() { return frontswap; }
    public SwapDevice swapDevice() { return swap; }

    public void attachCleancache(Cleancache cc) {
        if (!filesystems.isEmpty()) throw new IllegalStateException("attach cleancache before mounting");
        this.cleancache = cc;
    }

    // ---------------------------------------------------------------- memory figures

    public long maxPfn() { return alloc.maxPfn(); }

    /** balloon_stats.current_pages: frames the guest holds. */
    public long currentPages() { return alloc.ownedPages(); }

    /** totalram_pages: owned frames the page allocator manages (the kernel's own frames excluded). */
    public long totalRamPages() { return alloc.ownedPages() - kernelPages; }

    public int kernelPages() { return kernelPages; }

    /** totalreserve_pages: watermark reserve derived from min_free_kbytes at boot. */
    public long totalReservePages() { return totalReservePages; }

    public long freePages() { return alloc.freePages(); }

    public long pageCachePages() { return cacheLru.size(); }

    public long anonResidentPages() { return anonLru.size(); }

    /** Committed_AS analogue: the kernel's own baseline plus every process's committed anonymous pages. */
    public long committedPages() {
        long c = baseCommittedPages;
        for (AnonProcess p : procs.values()) c += p.size;
        return c;
    }

    public void baseCommittedPages(long pages) { baseCommittedPages = pages; }

    /** si_mem_available(): free above the reserve plus the reclaimable part of the page cache. */
    public long memAvailable() {
        long cache = cacheLru.size();
        return Math.max(0, alloc.freePages() - totalReservePages + cache - Math.min(cache / 2, lowWatermark));
    }

    // ---------------------------------------------------------------- frames

    /** A frame for {@code k}, reclaiming (and as a last resort OOM-killing) as needed. */
    int allocFrame(FrameKind k) {
        for (int attempt = 0; ; attempt++) {
            int g = alloc.allocate(k);
            if (g >= 0) return g;
            if (reclaim(RECLAIM_BATCH, true) > 0) continue;
            if (!oomKill()) throw new GuestOutOfMemory("no reclaimable memory and nothing to kill (" + describe() + ")");
        }
    }

    /** Allocation for the balloon driver (GFP_BALLOON: no OOM, no swap; a light page-cache reclaim only). -1 if none. */
    public int allocBalloonFrame() {
        int g = alloc.allocate(FrameKind.KERNEL);
        if (g >= 0) return g;
        if (reclaim(RECLAIM_BATCH, false) == 0) return -1;
        return alloc.allocate(FrameKind.KERNEL);
    }

    /** A frame the balloon driver could not give away goes back to the free list. */
    public void freeBalloonFrame(int gfn) { alloc.free(gfn); }

    /**
     * Evicts up to {@code n} pages: clean page-cache pages go to cleancache, anonymous pages (if {@code allowSwap}) to
     * frontswap or the swap device. Returns the number of frames freed.
     */
    public int reclaim(int n, boolean allowSwap) {
        int freed = 0;
        while (freed < n) {
            long cache = cacheLru.size(), anon = anonLru.size();
            boolean canSwap = allowSwap && anon > 0 && swap != null && (swap.freeSlots() > 0 || hasSwapCacheVictim());
            boolean preferCache = cache > 0 && (!canSwap || cache * 4 >= cache + anon);
            if (preferCache) evictCachePage();
            else if (canSwap) {
                if (!evictAnonPage()) {
                    if (cache == 0) break;
                    evictCachePage();
                }
            } else break;
            freed++;
        }
        return freed;
    }

    private boolean hasSwapCacheVictim() {
        Map.Entry<Long, Integer> e = anonLru.entrySet().iterator().next();
        AnonProcess p = procs.get((int) (e.getKey() >>> 32));
        return p != null && p.slot[(int) (long) e.getKey()] >= 0;
    }

    private boolean oomKill() {
        AnonProcess victim = null;
        for (AnonProcess p : procs.values()) if (victim == null || p.resident > victim.resident) victim = p;
        if (victim == null || victim.resident == 0) return false;
        log.warn("out of memory: killing {} ({})", victim, describe());
        stats.oomKills++;
        exit(victim);
        return true;
    }

    // ---------------------------------------------------------------- files

    /** Mounts a filesystem: a private cleancache pool, or a shared one by UUID. */
    public FileSystem mount(String name, boolean shared, long uuidLo, long uuidHi) {
        FileSystem fs = new FileSystem(name, shared, uuidLo, uuidHi);
        fs.poolId = shared ? cleancache.initSharedFs(uuidLo, uuidHi) : cleancache.initFs();
        filesystems.add(fs);
        return fs;
    }

    public FileSystem mount(String name) { return mount(name, false, 0, 0); }

    /** Unmount: every cached page of the fs is dropped (inodes evicted), then the pool is surrendered. */
    public void umount(FileSystem fs) {
        for (SimFile f : new ArrayList<>(files.values())) {
            if (f.fs() != fs) continue;
            for (int i = 0; i < f.sizePages; i++) dropCached(f, i, false);
            cleancache.invalidateInode(fs.poolId, f.key());
            files.remove(f.ino());
        }
        cleancache.invalidateFs(fs.poolId);
        fs.poolId = -1;
        fs.mounted = false;
        filesystems.remove(fs);
    }

    public SimFile createFile(FileSystem fs, int sizePages) {
        SimFile f = new SimFile(fs, nextIno++, sizePages);
        files.put(f.ino(), f);
        return f;
    }

    private static long cacheKey(SimFile f, int index) { return (f.ino() << 32) | (index & 0xFFFFFFFFL); }

    /** Reads one page of a file; true if it was already in the page cache. */
    public boolean readPage(SimFile f, int index) {
        checkFile(f, index);
        stats.fileReads++;
        long key = cacheKey(f, index);
        if (cacheLru.get(key) != null) {
            stats.pageCacheHits++;
            return true;
        }
        stats.pageCacheMisses++;
        int g = allocFrame(FrameKind.PAGE_CACHE);
        long v = f.version(index);
        if (cleancache.getPage(f.fs().poolId, f.key(), index, g)) {
            if (!f.fs().shared()) f.maybeInCleancache.clear(index); // private gets are exclusive
            if (!PageSignature.matches(mem, g, PageSignature.FILE_MAGIC, f.ino(), index, v)) {
                stats.dataErrors++;
                log.error("cleancache returned wrong data for ino {} page {} v{}", f.ino(), index, v);
                PageSignature.write(mem, g, PageSignature.FILE_MAGIC, f.ino(), index, v);
            }
        } else {
            stats.diskReads++;
            PageSignature.write(mem, g, PageSignature.FILE_MAGIC, f.ino(), index, v);
        }
        alloc.markWritten(g);
        cacheLru.put(key, g);
        return false;
    }

    /** Overwrites one whole page (write-through: the page stays clean); a stale cleancache copy is invalidated. */
    public void writePage(SimFile f, int index) {
        if (index >= f.sizePages) extend(f, index + 1);
        checkFile(f, index);
        stats.fileWrites++;
        long key = cacheKey(f, index);
        long v = ++f.version[index];
        Integer g = cacheLru.get(key);
        if (g == null) {
            // a whole-page overwrite of a page that is not cached: a copy put earlier would be stale
            if (f.maybeInCleancache.get(index)) {
                cleancache.invalidatePage(f.fs().poolId, f.key(), index);
                f.maybeInCleancache.clear(index);
            }
            g = allocFrame(FrameKind.PAGE_CACHE);
            cacheLru.put(key, g);
        }
        PageSignature.write(mem, g, PageSignature.FILE_MAGIC, f.ino(), index, v);
        alloc.markWritten(g);
    }

    private void extend(SimFile f, int pages) {
        f.ensureCapacity(pages);
        f.sizePages = pages;
    }

    /** Truncates to {@code newSize} pages: cut pages are invalidated (not put), then the whole inode is invalidated. */
    public void truncate(SimFile f, int newSize) {
        stats.truncates++;
        for (int i = newSize; i < f.sizePages; i++) {
            dropCached(f, i, true);
            f.version[i]++;
        }
        cleancache.invalidateInode(f.fs().poolId, f.key());
        f.maybeInCleancache.clear();
        f.sizePages = Math.min(f.sizePages, newSize);
        if (newSize > f.sizePages) extend(f, newSize);
    }

    public void deleteFile(SimFile f) {
        truncate(f, 0);
        f.deleted = true;
        files.remove(f.ino());
    }

    private void dropCached(SimFile f, int index, boolean invalidate) {
        Integer g = cacheLru.remove(cacheKey(f, index));
        if (g == null) return;
        if (invalidate) cleancache.invalidatePage(f.fs().poolId, f.key(), index);
        alloc.free(g);
    }

    public boolean cached(SimFile f, int index) { return cacheLru.containsKey(cacheKey(f, index)); }

    private void checkFile(SimFile f, int index) {
        if (f.deleted) throw new IllegalArgumentException("file " + f.ino() + " was deleted");
        if (index < 0 || index >= f.sizePages) throw new IndexOutOfBoundsException("page " + index + " of " + f.sizePages);
    }

    private void evictCachePage() {
        Iterator<Map.Entry<Long, Integer>> it = cacheLru.entrySet().iterator();
        Map.Entry<Long, Integer> e = it.next();
        it.remove();
        SimFile f = files.get(e.getKey() >>> 32);
        int index = (int) (long) e.getKey();
        int g = e.getValue();
        cleancache.putPage(f.fs().poolId, f.key(), index, g);
        if (cleancache.enabled()) f.maybeInCleancache.set(index);
        stats.cacheEvictions++;
        alloc.free(g);
    }

    // ---------------------------------------------------------------- anonymous memory and swap

    /** swapon: a swap device of {@code slots} slots (type 0), announced to frontswap. */
    public void swapon(int slots, Frontswap fs) {
        if (swap != null) throw new IllegalStateException("swap already on");
        this.swap = new SwapDevice(0, slots);
        this.slotOwner = new long[slots];
        java.util.Arrays.fill(slotOwner, -1);
        this.frontswap = fs;
        fs.init(0);
    }

    public AnonProcess spawn() {
        AnonProcess p = new AnonProcess(nextPid++);
        procs.put(p.pid(), p);
        return p;
    }

    public List<AnonProcess> processes() { return new ArrayList<>(procs.values()); }

    /** Grows or shrinks a process's committed anonymous memory (pages beyond the new size are freed). */
    public void resize(AnonProcess p, int pages) {
        if (!p.alive) return;
        if (pages < p.size) for (int v = pages; v < p.size; v++) freeVpage(p, v);
        p.grow(pages);
    }

    public void exit(AnonProcess p) {
        if (!p.alive) return;
        for (int v = 0; v < p.size; v++) freeVpage(p, v);
        p.size = 0;
        p.alive = false;
        procs.remove(p.pid());
    }

    private static long anonKey(AnonProcess p, int v) { return ((long) p.pid() << 32) | (v & 0xFFFFFFFFL); }

    private void freeVpage(AnonProcess p, int v) {
        if (p.gfn[v] >= 0) {
            anonLru.remove(anonKey(p, v));
            alloc.free(p.gfn[v]);
            p.gfn[v] = -1;
            p.resident--;
        }
        if (p.slot[v] >= 0) freeSlot(p, v);
        p.version[v] = 0;
    }

    private void freeSlot(AnonProcess p, int v) {
        int s = p.slot[v];
        frontswap.invalidatePage(swap.type(), s);
        swap.free(s);
        slotOwner[s] = -1;
        p.slot[v] = -1;
    }

    /** A process touches one of its pages (fault in, swap in, or LRU touch); {@code write} changes its content. */
    public void touch(AnonProcess p, int v, boolean write) {
        if (!p.alive) return;
        if (v < 0 || v >= p.size) throw new IndexOutOfBoundsException("vpage " + v + " of " + p.size);
        stats.anonTouches++;
        if (p.gfn[v] >= 0) {
            anonLru.get(anonKey(p, v));
            if (write) {
                if (p.slot[v] >= 0) freeSlot(p, v);
                PageSignature.write(mem, p.gfn[v], PageSignature.ANON_MAGIC, p.pid(), v, ++p.version[v]);
            }
            return;
        }
        int g = allocFrame(FrameKind.ANON);
        if (!p.alive) { alloc.free(g); return; }
        if (p.slot[v] >= 0) swapIn(p, v, g);
        else {
            stats.anonFaults++;
            PageSignature.write(mem, g, PageSignature.ANON_MAGIC, p.pid(), v, p.version[v]);
        }
        alloc.markWritten(g);
        p.gfn[v] = g;
        p.resident++;
        anonLru.put(anonKey(p, v), g);
        if (write) {
            if (p.slot[v] >= 0) freeSlot(p, v);
            PageSignature.write(mem, g, PageSignature.ANON_MAGIC, p.pid(), v, ++p.version[v]);
        } else if (p.slot[v] >= 0 && swap.full()) freeSlot(p, v);
    }

    private void swapIn(AnonProcess p, int v, int g) {
        int s = p.slot[v];
        stats.swapIns++;
        if (!frontswap.load(swap.type(), s, g)) {
            byte[] page = swap.read(s);
            if (page == null) {
                stats.dataErrors++;
                log.error("swap slot {} of pid {} vpage {} has no data anywhere", s, p.pid(), v);
                PageSignature.write(mem, g, PageSignature.ANON_MAGIC, p.pid(), v, p.version[v]);
                return;
            }
            stats.swapDiskReads++;
            mem.writePage(g, page);
        }
        if (!PageSignature.matches(mem, g, PageSignature.ANON_MAGIC, p.pid(), v, p.version[v])) {
            stats.dataErrors++;
            log.error("swap-in of pid {} vpage {} v{} returned wrong data", p.pid(), v, p.version[v]);
            PageSignature.write(mem, g, PageSignature.ANON_MAGIC, p.pid(), v, p.version[v]);
        }
    }

    /** Swaps out the least recently used anonymous page; false if no swap slot could be had. */
    private boolean evictAnonPage() {
        Iterator<Map.Entry<Long, Integer>> it = anonLru.entrySet().iterator();
        Map.Entry<Long, Integer> e = it.next();
        AnonProcess p = procs.get((int) (e.getKey() >>> 32));
        int v = (int) (long) e.getKey();
        int g = e.getValue();
        if (p.slot[v] < 0) {
            int s = swap.allocate();
            if (s < 0) return false;
            p.slot[v] = s;
            slotOwner[s] = anonKey(p, v);
            stats.swapOuts++;
            if (frontswap.store(swap.type(), s, g)) swap.discard(s);
            else {
                mem.readPage(g, scratch);
                swap.write(s, scratch);
                stats.swapDiskWrites++;
            }
        }
        it.remove();
        p.gfn[v] = -1;
        p.resident--;
        stats.anonEvictions++;
        alloc.free(g);
        return true;
    }

    /**
     * frontswap_shrink(target): unuses frontswap pages of the first swap device (exactly the excess if the device holds
     * more than it, else all of it), if enough memory is available; pages come back into RAM and their slots are freed.
     * Returns the number of pages unused.
     */
    public long frontswapShrink(long targetPages) {
        if (swap == null) return 0;
        long cur = frontswap.currPages();
        if (cur <= targetPages) return 0;
        long toUnuse = cur - targetPages;
        int type = swap.type();
        long devPages = frontswap.pages(type);
        long want = devPages > toUnuse ? toUnuse : devPages;
        if (alloc.freePages() + cacheLru.size() + swap.freeSlots() < want) return 0; // security_vm_enough_memory
        BitSet map = (BitSet) frontswap.map(type).clone();
        long done = 0;
        for (int s = map.nextSetBit(0); s >= 0 && done < want; s = map.nextSetBit(s + 1)) {
            if (!frontswap.test(type, s) || slotOwner[s] < 0) continue;
            AnonProcess p = procs.get((int) (slotOwner[s] >>> 32));
            int v = (int) slotOwner[s];
            if (p == null) continue;
            if (p.gfn[v] < 0) touch(p, v, false);
            if (p.alive && p.slot[v] == s) freeSlot(p, v);
            done++;
        }
        stats.frontswapUnused += done;
        return done;
    }

    /** swapoff: all frontswap pages are brought back and the area invalidated. */
    public void swapoff() {
        if (swap == null) return;
        for (AnonProcess p : processes())
            for (int v = 0; v < p.size; v++) if (p.slot[v] >= 0 && p.alive) {
                if (p.gfn[v] < 0) touch(p, v, false);
                if (p.slot[v] >= 0) freeSlot(p, v);
            }
        frontswap.invalidateArea(swap.type());
    }

    public String describe() {
        return String.format("owned %d, free %d, cache %d, anon %d, kernel %d, committed %d, swap %d/%d, frontswap %d",
                currentPages(), freePages(), pageCachePages(), anonResidentPages(), alloc.count(FrameKind.KERNEL),
                committedPages(), swap == null ? 0 : swap.usedSlots(), swap == null ? 0 : swap.slots() - 1,
                frontswap.currPages());
    }
}
