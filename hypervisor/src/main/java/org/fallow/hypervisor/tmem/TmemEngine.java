package org.fallow.hypervisor.tmem;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.core.DomainMemory;
import org.fallow.hypervisor.core.HostMemory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

import static org.fallow.hypervisor.tmem.PageTable.NIL;
import static org.fallow.hypervisor.tmem.TmemDefs.*;

/**
 * The tmem engine: clients, pools, objects and pages with Xen 4.12's (and, per call, the 2009 ABI's) semantics and
 * return values, ephemeral pages from the host's free memory (global + per-client LRU, evictable), persistent pages
 * charged to the client domain's allocation (never evicted), per-client LZO1X compression.
 *
 * <p><b>Threading:</b> not thread-safe, by design. The engine is confined to the {@code HypervisorCore} dispatch
 * thread (every hypercall, sysctl, life-cycle event and host-memory reclaim reaches it there), which plays the role of
 * Xen's tmem_rwlock held for writing. Tests drive it from one thread.
 *
 * <p>Guest page data is moved through {@link FrameResolver}s, resolved only when Xen would touch the frame, so the
 * order of checks (and therefore the return value) is Xen's: e.g. a GET with a bad cmfn on an empty pool is -EEMPTY,
 * on a miss 0, and only on a hit -EFAULT.
 */
public final class TmemEngine implements HostMemory.Reclaimer {
    private static final Logger log = LoggerFactory.getLogger(TmemEngine.class);

    /** Domains as tmem sees them: the memory of a live domain, or null if there is no such domain. */
    @FunctionalInterface
    public interface Domains {
        DomainMemory memoryOf(int domid);
    }

    /** Resolves a guest frame number to its 4096-byte frame (get_page_from_gfn, p2m_ram_rw), or null: -EFAULT. */
    @FunctionalInterface
    public interface FrameResolver {
        MemorySegment frame(long cmfn);

        FrameResolver NONE = cmfn -> null;
    }

    /**
     * Boot options: {@code enabled} = Xen's {@code tmem} (off: every tmem_op is -ENODEV), {@code compressByDefault}
     * = {@code tmem_compress} (new clients' compress flag), {@code clock} for the 2009 perf line (nanoTime),
     * {@code compression} the codec of clients with the compress flag, {@code lz4Acceleration} liblz4's acceleration
     * (1 = its default; higher is faster and compresses less, see {@link PageCodec}).
     */
    public record Config(boolean enabled, boolean compressByDefault, LongSupplier clock, TmemCompression compression,
                         int lz4Acceleration) {
        /** With the default compression, {@link TmemCompression#preferred()}. */
        public Config(boolean enabled, boolean compressByDefault, LongSupplier clock) {
            this(enabled, compressByDefault, clock, TmemCompression.preferred());
        }

        /** With liblz4's default acceleration (1). */
        public Config(boolean enabled, boolean compressByDefault, LongSupplier clock, TmemCompression compression) {
            this(enabled, compressByDefault, clock, compression, PageCodec.DEFAULT_LZ4_ACCELERATION);
        }

        public static Config defaults() { return new Config(true, false, System::nanoTime); }
    }

    private final HostMemory host;
    private final Domains domains;
    private final Config config;
    private final Map<Integer, TmemClient> clients = new LinkedHashMap<>();
    final TmemPool[] sharedPools = new TmemPool[MAX_GLOBAL_SHARED_POOLS];
    /** Page descriptors (int columns) and page data (off-heap slabs). */
    final PageTable pageTable = new PageTable();
    final PageSlabs slabs = new PageSlabs();
    final EphemeralLru lru = new EphemeralLru(pageTable);
    final TmemStats stats = new TmemStats();
    private final PageCodec codec;
    /** The engine's one page buffer (Xen's per-CPU buffers, native): guest data to compress, or decompressed data. */
    private final MemorySegment pageSeg = java.lang.foreign.Arena.ofAuto().allocate(PAGE_SIZE, PAGE_SIZE);
    /** Objects by id (a page's object column); ids of deleted objects are reused. */
    private TmemObject[] objectsById = new TmemObject[64];
    private int[] freeObjectIds = new int[16];
    private int freeObjectCount, objectIdsBumped;
    private final PageBudget ephemeralBudget = new EphemeralBudget();
    private final ByteArena ephemeralArena = new ByteArena(ephemeralBudget);
    /** tmem_page_list_pages: host pages tmem keeps for reuse after freeing them. */
    long freeListPages;
    /** freeable_page_count: host pages in use for ephemeral data (raw pages + arena pages). */
    long ephemeralPagesInUse;
    /** tmem_global.shared_auth: "anyone may share any uuid" (only reachable with cli_id 0xFFFF, see SET_AUTH). */
    boolean sharedAuthAll;
    long weightTotal;
    /** Xen's current->domain->tmem_client while a guest op runs (eviction prefers it when over quota). */
    private TmemClient current;
    /** A 2009-profile guest op is running: its page copies and (de)compressions are timed for the T= line. */
    private boolean perfTimed;
    /** The object a put is writing (Xen holds its obj_spinlock): eviction skips its pages. */
    private TmemObject busyObject;

    public TmemEngine(HostMemory host, Domains domains, Config config) {
        this.host = host;
        this.domains = domains;
        this.config = config;
        this.codec = new PageCodec(config.compression(), config.lz4Acceleration());
    }

    public TmemStats stats() { return stats; }

    public boolean enabled() { return config.enabled(); }

    /** Clients in creation order. */
    public Collection<TmemClient> clients() { return List.copyOf(clients.values()); }

    public TmemClient client(int domid) { return clients.get(domid & 0xFFFF); }

    /** Global ephemeral page count. */
    public long ephemeralPages() { return lru.count(); }

    /** Pages tmem holds on its free list (Xen's tmem_page_list_pages). */
    public long freeListPages() { return freeListPages; }

    /** tmem_freeable_pages(): free-list pages + pages in use for ephemeral data. */
    public long freeablePages() { return freeListPages + ephemeralPagesInUse; }

    /** The global shared pool in slot {@code i}, or null. */
    public TmemPool sharedPool(int i) { return sharedPools[i]; }

    // ------------------------------------------------------------------------------------------------ guest ops

    /**
     * One {@code tmem_op} hypercall from domain {@code domid} (do_tmem_op). {@code copyIn} yields the decoded op or
     * null if it could not be read (-EFAULT); {@code control2009} handles the 2009 profile's TMEM_CONTROL.
     */
    public long tmemOp(AbiProfile profile, int domid, boolean dying, java.util.function.Supplier<TmemRequest> copyIn,
                       FrameResolver frames, ToLongFunction<TmemRequest> control2009) {
        if (!config.enabled()) return -XenErrno.ENODEV;
        boolean v2009 = profile == AbiProfile.TMEM_2009;
        stats.totalOps++;
        TmemClient client = clients.get(domid);
        if (client != null && dying) {
            stats.erroredOps++;
            return -XenErrno.ENODEV;
        }
        TmemRequest op = copyIn.get();
        if (op == null) {
            stats.erroredOps++;
            return -XenErrno.EFAULT;
        }
        long rc;
        perfTimed = v2009;
        try {
            rc = v2009 ? dispatch2009(domid, client, op, frames, control2009) : dispatch412(domid, client, op, frames);
        } finally {
            current = null;
            perfTimed = false;
        }
        if (rc < 0) stats.erroredOps++;
        return rc;
    }

    private long dispatch412(int domid, TmemClient client, TmemRequest op, FrameResolver frames) {
        if (op.cmd() == CONTROL || op.cmd() == AUTH || op.cmd() == RESTORE_NEW) return -XenErrno.EOPNOTSUPP;
        if (client == null && (client = createClient(domid)) == null) return -XenErrno.ENOMEM;
        current = client;
        if (op.cmd() == NEW_POOL) return newPool(client, -1, op.flags(), op.uuid0(), op.uuid1(), false);
        if (op.cmd() == DESTROY_POOL) return destroyPool(client, op.poolId());
        TmemPool pool = poolOf(client, op.poolId());
        if (pool == null) return -XenErrno.ENODEV;
        return switch (op.cmd()) {
            case PUT_PAGE -> ensureAvailPages() ? put(client, pool, op.oid(), op.index(), fullPage(frames, op.cmfn()), false)
                    : -XenErrno.ENOMEM;
            case GET_PAGE -> get(client, pool, op.oid(), op.index(), fullPageOut(frames, op.cmfn()));
            case FLUSH_PAGE -> flushPage(pool, op.oid(), op.index());
            case FLUSH_OBJECT -> flushObject(pool, op.oid());
            default -> {
                log.warn("tmem: d{} op {} not implemented -> -ENOSYS", domid, op.cmd());
                yield -XenErrno.ENOSYS;
            }
        };
    }

    private long dispatch2009(int domid, TmemClient client, TmemRequest op, FrameResolver frames,
                              ToLongFunction<TmemRequest> control2009) {
        if (op.cmd() == CONTROL) return control2009.applyAsLong(op);
        if (client == null && (client = createClient(domid)) == null) return -XenErrno.ENOMEM;
        current = client;
        if (op.cmd() == NEW_POOL) return newPool(client, -1, op.flags(), op.uuid0(), op.uuid1(), true);
        TmemPool pool = poolOf(client, op.poolId());
        if (pool == null) return -XenErrno.ENODEV;
        long t0 = config.clock().getAsLong();
        return switch (op.cmd()) {
            case DESTROY_POOL -> destroyPool(client, op.poolId());
            case NEW_PAGE -> put(client, pool, op.oid(), op.index(), zeroPage(), true);
            case PUT_PAGE -> timed(put(client, pool, op.oid(), op.index(), fullPage(frames, op.cmfn()), true), t0,
                    stats.succPut, stats.nonSuccPut);
            case GET_PAGE -> timed(get(client, pool, op.oid(), op.index(), fullPageOut(frames, op.cmfn())), t0,
                    stats.succGet, stats.nonSuccGet);
            case READ -> get(client, pool, op.oid(), op.index(),
                    partialOut(frames, op.cmfn(), op.tmemOffset(), op.pfnOffset(), op.len()));
            case WRITE -> put(client, pool, op.oid(), op.index(),
                    partialIn(frames, op.cmfn(), op.tmemOffset(), op.pfnOffset(), op.len()), true);
            case FLUSH_PAGE -> timed(flushPage(pool, op.oid(), op.index()), t0, stats.flush, stats.flush);
            case FLUSH_OBJECT -> timed(flushObject(pool, op.oid()), t0, stats.flushObj, stats.flushObj);
            default -> {
                log.warn("tmem(2009): d{} op {} not implemented -> 0", domid, op.cmd());
                yield 0;
            }
        };
    }

    /**
     * The clock for the 2009 {@code T=} line's counters while a 2009-profile request runs ({@link #perfTimed}), else 0 and
     * no clock read: the line exists only in the 2009 listing (Xen 4.12 has no perf counters), and two clock reads
     * per page copy were ~5 % of the hypervisor's CPU in a 4.12 put+get at batch 64 (docs/BENCHMARKS.md).
     */
    private long perfClock() { return perfTimed ? config.clock().getAsLong() : 0; }

    /** Records {@code since} (a {@link #perfClock} reading) in {@code c} when the request is timed. */
    private void perfRecord(TmemStats.PerfCounter c, long since) {
        if (perfTimed) c.record(config.clock().getAsLong() - since);
    }

    private long timed(long rc, long t0, TmemStats.PerfCounter ok, TmemStats.PerfCounter notOk) {
        long dt = config.clock().getAsLong() - t0;
        (rc == 1 ? ok : notOk).record(dt);
        return rc;
    }

    private static TmemPool poolOf(TmemClient client, int poolId) {
        return Integer.compareUnsigned(poolId, MAX_POOLS_PER_DOMAIN) >= 0 ? null : client.pools[poolId];
    }

    // ------------------------------------------------------------------------------------------------ clients

    /** client_create: needs a live domain; null (-ENOMEM) otherwise. */
    TmemClient createClient(int domid) {
        domid &= 0xFFFF;
        TmemClient c = clients.get(domid);
        if (c != null) return c;
        if (domid == CLI_ID_NULL || domains.memoryOf(domid) == null) {
            log.warn("tmem: can't create tmem structure for domain {}", domid);
            return null;
        }
        c = new TmemClient(domid, config.compressByDefault());
        clients.put(domid, c);
        log.info("tmem: created client for domain {}", domid);
        return c;
    }

    /** tmem_destroy: the domain is dying; flushes every pool of its client and frees the client. */
    public void destroyClient(int domid) {
        TmemClient c = clients.get(domid & 0xFFFF);
        if (c == null) return;
        log.info("tmem: flushing tmem pools for domain {}", c.domid);
        for (int i = 0; i < MAX_POOLS_PER_DOMAIN; i++) {
            TmemPool p = c.pools[i];
            if (p == null) continue;
            c.pools[i] = null;
            c.nrPools--;
            poolFlush(p, c);
        }
        weightTotal -= c.weight;
        clients.remove(c.domid);
    }

    void setWeight(TmemClient c, int weight) {
        weightTotal += (long) weight - c.weight;
        c.weight = weight;
    }

    // ------------------------------------------------------------------------------------------------ pools

    /**
     * do_tmem_new_pool. {@code slot} = -1 picks the lowest free slot (guest NEW_POOL); otherwise the slot is given
     * (SET_POOLS, restore) and must be free. Returns the client-local pool id or a negated errno.
     */
    long newPool(TmemClient client, int slot, int flags, long uuid0, long uuid1, boolean v2009) {
        boolean persistent = (flags & POOL_PERSIST) != 0;
        boolean shared = (flags & POOL_SHARED) != 0;
        int pagebits = (flags >>> POOL_PAGESIZE_SHIFT) & POOL_PAGESIZE_MASK;
        int spec = (flags >>> POOL_VERSION_SHIFT) & POOL_VERSION_MASK;
        String what = (persistent ? "persistent" : "ephemeral") + "-" + (shared ? "shared" : "private");
        if (spec != (v2009 ? SPEC_VERSION_2009 : SPEC_VERSION)) return refuse(client, what, "unsupported spec version " + spec);
        if (!v2009 && shared && persistent) return refuse(client, what, "unable to create a shared-persistent pool");
        if (pagebits != 0) return refuse(client, what, "unsupported pagesize " + (1L << (pagebits + 12)));
        if (!v2009 && (flags & POOL_PRECOMPRESSED) != 0) return refuse(client, what, "precompression flag set but unsupported");
        if (!v2009 && (flags & POOL_RESERVED_BITS) != 0) return refuse(client, what, "reserved bits must be zero");
        if (slot >= 0) {
            if (slot >= MAX_POOLS_PER_DOMAIN || client.pools[slot] != null) return refuse(client, what, "slot " + slot + " not free");
        } else {
            slot = 0;
            while (slot < MAX_POOLS_PER_DOMAIN && client.pools[slot] != null) slot++;
            if (slot == MAX_POOLS_PER_DOMAIN) return refuse(client, what, "no more pool slots available");
        }
        TmemPool pool = new TmemPool(client, slot, persistent, shared, uuid0, uuid1);
        if (shared) {
            if (!v2009 && uuid0 == UUID_NONE && uuid1 == UUID_NONE) {
                log.info("tmem: d{} invalid uuid, creating a private pool instead", client.domid);
                pool.shared = false;
            } else if (!v2009 && !sharedAuthAll && !authorized(client, uuid0, uuid1)) {
                log.info("tmem: d{} shared auth failed for uuid {}.{}, creating a private pool instead", client.domid,
                        Long.toHexString(uuid1), Long.toHexString(uuid0));
                pool.shared = false;
            } else {
                int firstUnused = -1;
                for (int i = 0; i < MAX_GLOBAL_SHARED_POOLS; i++) {
                    TmemPool sp = sharedPools[i];
                    if (sp == null) {
                        if (firstUnused < 0) firstUnused = i;
                    } else if (sp.uuid0 == uuid0 && sp.uuid1 == uuid1) {
                        client.pools[slot] = sp;
                        sp.sharers.add(client);
                        client.nrPools++;
                        log.info("tmem: d{} joined shared pool {}.{} owned by d{}: pool_id={}", client.domid,
                                Long.toHexString(uuid1), Long.toHexString(uuid0), sp.client.domid, slot);
                        return slot;
                    }
                }
                if (firstUnused < 0) return refuse(client, what, "no global shared pool slots available");
                pool.sharers.add(client);
                sharedPools[firstUnused] = pool;
            }
        }
        bindStorage(pool, client);
        client.pools[slot] = pool;
        client.nrPools++;
        log.info("tmem: d{} allocated {} pool: pool_id={}", client.domid, what, slot);
        return slot;
    }

    private static long refuse(TmemClient c, String what, String why) {
        log.info("tmem: d{} allocating {} pool failed... {}", c.domid, what, why);
        return -XenErrno.EPERM;
    }

    private static boolean authorized(TmemClient c, long uuid0, long uuid1) {
        for (long[] a : c.sharedAuth) if (a[0] == uuid0 && a[1] == uuid1) return true;
        return false;
    }

    private void bindStorage(TmemPool pool, TmemClient owner) {
        if (!pool.persistent) {
            pool.budget = ephemeralBudget;
            pool.arena = ephemeralArena;
        } else {
            pool.budget = new DomainBudget(owner.domid);
            pool.arena = new ByteArena(pool.budget);
        }
    }

    /** do_tmem_destroy_pool (4.12): 0 if there is no pool in the slot, else flushes it and returns 1. */
    long destroyPool(TmemClient client, int poolId) {
        TmemPool pool = poolOf(client, poolId);
        if (pool == null) return 0;
        if (pool.client.migrating && (!pool.shared || pool.sharers.size() <= 1)) {
            // pool_flush: "can't destroy pool while ... is live-migrating" (the save must still see its pages). Xen has
            // already cleared the client's slot and leaks the pool; Fallow keeps it in its slot (docs/DEVIATIONS.md).
            log.warn("tmem: can't destroy pool {} while d{} is live-migrating", poolId, pool.client.domid);
            return 1;
        }
        client.pools[poolId] = null;
        client.nrPools--;
        poolFlush(pool, client);
        return 1;
    }

    /**
     * pool_flush: for a shared pool, {@code leaving} quits it (its objects go, ownership passes on) and the pool is
     * destroyed only when the last sharer has left; a private pool is destroyed.
     */
    private void poolFlush(TmemPool pool, TmemClient leaving) {
        stats.totalFlushPool++;
        if (pool.shared && sharedPoolQuit(pool, leaving) > 0) {
            log.info("tmem: d{} no longer using shared pool {}.{} owned by d{}", leaving.domid,
                    Long.toHexString(pool.uuid1), Long.toHexString(pool.uuid0), pool.client.domid);
            return;
        }
        destroyObjects(pool, CLI_ID_NULL);
        log.info("tmem: destroyed {} pool {} of d{}", pool.typeCode(), pool.poolId, pool.client.domid);
    }

    /** shared_pool_quit: returns the sharers left, 0 when the pool must go, -1 if {@code c} was not a sharer. */
    private int sharedPoolQuit(TmemPool pool, TmemClient c) {
        destroyObjects(pool, c.domid);
        if (!pool.sharers.remove(c)) {
            log.warn("tmem: no match unsharing pool, d{}", c.domid);
            return -1;
        }
        if (pool.client == c) reassign(pool);
        if (!pool.sharers.isEmpty()) return pool.sharers.size();
        for (int i = 0; i < MAX_GLOBAL_SHARED_POOLS; i++) if (sharedPools[i] == pool) sharedPools[i] = null;
        return 0;
    }

    /** shared_pool_reassign: the next sharer owns the pool; its pages move to the new owner's LRU. */
    private void reassign(TmemPool pool) {
        if (pool.sharers.isEmpty()) return;
        TmemClient old = pool.client, nc = pool.sharers.getFirst();
        int slot = -1;
        for (int i = 0; i < MAX_POOLS_PER_DOMAIN && slot < 0; i++) if (nc.pools[i] == pool) slot = i;
        if (slot < 0) throw new IllegalStateException("tmem: sharer d" + nc.domid + " has no slot for its shared pool");
        for (TmemObject o : pool.objects.values()) {
            for (int p : o.pages.values()) {
                if (pool.persistent) { old.persCount--; nc.persCount++; }
                else lru.reassign(p, old, nc);
            }
        }
        pool.client = nc;
        pool.poolId = slot;
        log.info("tmem: reassigned shared pool from d{} to d{} pool_id={}", old.domid, nc.domid, slot);
    }

    /** pool_destroy_objs: every object, or only those last used by {@code cliId}. */
    private void destroyObjects(TmemPool pool, int cliId) {
        for (TmemObject o : new ArrayList<>(pool.objects.values())) {
            if (cliId == CLI_ID_NULL || o.lastClient == cliId) destroyObject(o);
        }
    }

    private void destroyObject(TmemObject o) {
        for (int p : o.pages.values()) deletePage(p);
    }

    // ------------------------------------------------------------------------------------------------ pages

    /**
     * Produces the 4096 bytes to store into {@code dst} at {@code off}; {@code old} is the page being replaced or
     * NIL. False = fault.
     */
    @FunctionalInterface
    interface PageIn {
        boolean read(MemorySegment dst, long off, int old);
    }

    /** Delivers a found page's 4096 bytes (at {@code off} in {@code src}) to the guest. False = fault. */
    @FunctionalInterface
    interface PageOut {
        boolean write(MemorySegment src, long off);
    }

    /**
     * A whole guest frame as a put's data. {@link #frame()} lets a compressed new put read the guest's frame itself
     * (as Xen compresses the mapped client page) instead of copying it into the page buffer first.
     */
    private final class FullPageIn implements PageIn {
        private final FrameResolver frames;
        private final long cmfn;

        FullPageIn(FrameResolver frames, long cmfn) {
            this.frames = frames;
            this.cmfn = cmfn;
        }

        /** The guest's frame (4096 bytes from offset 0), or null = fault. */
        MemorySegment frame() { return frames.frame(cmfn); }

        @Override public boolean read(MemorySegment dst, long off, int old) {
            MemorySegment f = frames.frame(cmfn);
            if (f == null) return false;
            long t0 = perfClock();
            MemorySegment.copy(f, 0, dst, off, PAGE_SIZE);
            perfRecord(stats.pageCopy, t0);
            return true;
        }
    }

    private PageIn fullPage(FrameResolver frames, long cmfn) { return new FullPageIn(frames, cmfn); }

    private static PageIn zeroPage() {
        return (dst, off, old) -> {
            dst.asSlice(off, PAGE_SIZE).fill((byte) 0);
            return true;
        };
    }

    /**
     * 2009 WRITE: tmh_copy_from_client. The client frame is resolved first whenever an offset or len is non-zero
     * (-EFAULT for a bad cmfn, even when the range is out of bounds); len = offsets = 0 stores a zero page; a range
     * inside both pages is copied; an out-of-range one is skipped and the put still succeeds. Fallow starts from the
     * old content (docs/DEVIATIONS.md).
     */
    private PageIn partialIn(FrameResolver frames, long cmfn, int tmemOffset, int pfnOffset, int len) {
        return (dst, off, old) -> {
            MemorySegment f = null;
            if ((tmemOffset | pfnOffset | len) != 0 && (f = frames.frame(cmfn)) == null) return false;
            if (old != NIL && (tmemOffset | pfnOffset | len) != 0) decodeInto(pageTable.loc(old), dst, off);
            else dst.asSlice(off, PAGE_SIZE).fill((byte) 0);
            if (f == null || !fits(tmemOffset, len) || !fits(pfnOffset, len)) return true;
            MemorySegment.copy(f, pfnOffset & 0xFFFFFFFFL, dst, off + (tmemOffset & 0xFFFFFFFFL), len & 0xFFFFFFFFL);
            return true;
        };
    }

    /**
     * A whole guest frame as a get's destination. {@link #frame()} lets a compressed page be decompressed straight
     * into the guest's frame (as Xen's tmem_decompress_to_client does) instead of through the page buffer.
     */
    private record FullPageOut(FrameResolver frames, long cmfn) implements PageOut {
        /** The guest's frame (4096 bytes from offset 0), or null = fault. */
        MemorySegment frame() { return frames.frame(cmfn); }

        @Override public boolean write(MemorySegment src, long off) {
            MemorySegment f = frames.frame(cmfn);
            if (f == null) return false;
            MemorySegment.copy(src, off, f, 0, PAGE_SIZE);
            return true;
        }
    }

    private static PageOut fullPageOut(FrameResolver frames, long cmfn) { return new FullPageOut(frames, cmfn); }

    /**
     * 2009 READ: tmh_copy_to_client. The client frame is always resolved first (-EFAULT); len = offsets = 0 copies the
     * whole page; a range inside both pages is copied; an out-of-range one copies nothing (the get still succeeds).
     */
    private static PageOut partialOut(FrameResolver frames, long cmfn, int tmemOffset, int pfnOffset, int len) {
        return (src, off) -> {
            MemorySegment f = frames.frame(cmfn);
            if (f == null) return false;
            if ((tmemOffset | pfnOffset | len) == 0) MemorySegment.copy(src, off, f, 0, PAGE_SIZE);
            else if (fits(tmemOffset, len) && fits(pfnOffset, len))
                MemorySegment.copy(src, off + (tmemOffset & 0xFFFFFFFFL), f, pfnOffset & 0xFFFFFFFFL, len & 0xFFFFFFFFL);
            return true;
        };
    }

    private static boolean fits(int offset, int len) {
        return (offset & 0xFFFFFFFFL) + (len & 0xFFFFFFFFL) <= PAGE_SIZE;
    }

    /** put_page_into_pool via Xen's do_tmem_put: 1, or -EFROZEN / -ENOMEM / -EFAULT / (dup) -ENOSPC. */
    long put(TmemClient caller, TmemPool pool, TmemOid oid, int index, PageIn in, boolean v2009) {
        TmemClient owner = pool.client;
        pool.puts++;
        caller.totalPuts++;
        TmemObject obj = pool.objects.get(oid);
        int old = obj == null ? NIL : obj.pages.get(index);
        if (old != NIL) return dupPut(caller, obj, old, in);
        if (owner.frozen) {
            if (obj != null) pool.noMemPuts++;
            return -XenErrno.EFROZEN;
        }
        if (pageTable.full()) { // 2^24 - 1 stored pages: the descriptor table's bound
            stats.allocFailed++;
            pool.noMemPuts++;
            return -XenErrno.ENOMEM;
        }
        TmemObject target = obj != null ? obj : new TmemObject(pool, oid, pageTable);
        busyObject = target;
        long loc;
        try {
            loc = storeNew(pool, owner, in);
        } finally {
            busyObject = null;
        }
        if (loc < 0) {
            pool.noMemPuts++;
            return loc;
        }
        if (obj == null) {
            obj = target;
            registerObject(obj);
            pool.objects.put(oid, obj);
            if (++pool.objCount > pool.objCountMax) pool.objCountMax = pool.objCount;
            stats.objAdded();
        }
        int page = pageTable.allocate(obj.id, index, (int) loc);
        obj.pages.put(page);
        if (++pool.pgpCount > pool.pgpCountMax) pool.pgpCountMax = pool.pgpCount;
        stats.pgpAdded();
        if (pool.persistent) {
            owner.persCount++;
            owner.succPersPuts++;
        } else {
            lru.append(page, owner);
            stats.goodEphPuts++;
            caller.succEphPuts++;
        }
        if (pool.shared) obj.lastClient = caller.domid;
        pool.goodPuts++;
        return 1;
    }

    /** do_tmem_dup_put: replace in place; on failure the old copy is flushed (-ENOSPC, or -EFAULT for a bad copy). */
    private long dupPut(TmemClient caller, TmemObject obj, int page, PageIn in) {
        TmemPool pool = obj.pool;
        TmemClient owner = pool.client;
        long rc;
        MemorySegment src = null;
        if (owner.migrating) {
            rc = -XenErrno.ENOSPC;
        } else if ((src = source(in, page)) == null) {
            stats.failedCopies++;
            rc = -XenErrno.EFAULT;
        } else {
            // do_tmem_dup_put: LZO only "if ( client->info.flags.u.compress && pgp->size != 0 )", i.e. when the old
            // copy was compressed; compress_poor/compress_nomem are not counted on this path.
            boolean tryCompress = owner.compress && !PageSlabs.isRaw(pageTable.loc(page));
            releaseData(pageTable.loc(page), pool);
            pageTable.setLoc(page, NO_DATA);
            busyObject = obj;
            long loc;
            try {
                loc = tryCompress ? compressInto(pool, owner, src) : POOR;
                if (loc == POOR) loc = storeRaw(pool, src);
            } finally {
                busyObject = null;
            }
            if (loc >= 0) {
                pageTable.setLoc(page, (int) loc);
                if (pool.shared) obj.lastClient = caller.domid;
                pool.dupPutsReplaced++;
                pool.goodPuts++;
                if (pool.persistent) owner.succPersPuts++;
                else caller.succEphPuts++;
                return 1;
            }
            rc = -XenErrno.ENOSPC;
        }
        deletePage(page);
        pool.dupPutsFlushed++;
        return rc;
    }

    /** A page's location while it has no data (between a dup put's release and its new data). */
    private static final int NO_DATA = -1;
    /** compressInto's "compresses poorly". */
    private static final long POOR = Long.MIN_VALUE;

    /**
     * A new page's data, in do_tmem_put's order: with compression the guest frame is read first (-EFAULT; a whole
     * frame is compressed where it is, as Xen does, a 2009 partial one assembled in {@link #pageSeg}), then the
     * compressed bytes are allocated (-ENOMEM, compress_nomem), a poorly compressing page falling back to a raw page;
     * without compression the raw page is allocated first (-ENOMEM) and then filled from the guest (-EFAULT, the page
     * going back). Every page is charged, an all-zero one too (Xen 4.12 has no zero-page shortcut). Returns the data's
     * {@link PageSlabs} location or an errno.
     */
    private long storeNew(TmemPool pool, TmemClient owner, PageIn in) {
        if (owner.compress) {
            MemorySegment src = source(in, NIL);
            if (src == null) {
                stats.failedCopies++;
                return -XenErrno.EFAULT;
            }
            long loc = compressInto(pool, owner, src);
            if (loc == -XenErrno.ENOMEM) owner.compressNomem++;
            if (loc == POOR) owner.compressPoor++;
            return loc != POOR ? loc : storeRaw(pool, src);
        }
        if (!takeRawPage(pool)) return -XenErrno.ENOMEM;
        int loc = slabs.allocate(PageSlabs.RAW);
        if (loc < 0 || !in.read(slabs.segment(loc), slabs.offset(loc), NIL)) {
            if (loc >= 0) slabs.free(loc);
            giveRawPage(pool);
            if (loc < 0) return -XenErrno.ENOMEM;
            stats.failedCopies++;
            return -XenErrno.EFAULT;
        }
        return loc;
    }

    /**
     * Where a put's 4096 bytes are read from: a whole guest frame where it is (Xen's do_tmem_put_compress reads the
     * mapped client page; an uncompressed put then copies it once into its raw page), anything else (a 2009 partial
     * put, which starts from the {@code old} page's data, or a zero page) assembled in {@link #pageSeg}; null = fault.
     */
    private MemorySegment source(PageIn in, int old) {
        if (in instanceof FullPageIn full) return full.frame();
        return in.read(pageSeg, 0, old) ? pageSeg : null;
    }

    /**
     * do_tmem_put_compress of {@code src} (the guest's frame or {@link #pageSeg}): the compressed data's location,
     * {@link #POOR} (compresses poorly), or -ENOMEM (tmem_malloc failed).
     */
    private long compressInto(TmemPool pool, TmemClient owner, MemorySegment src) {
        long t0 = perfClock();
        int n = codec.compress(src);
        perfRecord(stats.compress, t0);
        if (n < 0) return POOR;
        if (!pool.arena.reserve(n)) {
            stats.allocFailed++;
            return -XenErrno.ENOMEM;
        }
        int loc = slabs.allocate(PageSlabs.classFor(n));
        if (loc < 0) {
            pool.arena.release(n);
            stats.allocFailed++;
            return -XenErrno.ENOMEM;
        }
        slabs.writeCompressed(loc, codec.output(), n, codec.lastFormat());
        owner.compressedPages++;
        owner.compressedSumSize += n;
        stats.liveCompressedBytes += n;
        return loc;
    }

    /**
     * A raw page (tmem_alloc_page) holding a copy of {@code src} (a poorly compressing page: the guest's frame is
     * read again, as Xen copies from the client again, or {@link #pageSeg}): its location, or -ENOMEM.
     */
    private long storeRaw(TmemPool pool, MemorySegment src) {
        if (!takeRawPage(pool)) return -XenErrno.ENOMEM;
        int loc = slabs.allocate(PageSlabs.RAW);
        if (loc < 0) {
            giveRawPage(pool);
            return -XenErrno.ENOMEM;
        }
        if (src == pageSeg) {
            MemorySegment.copy(src, 0, slabs.segment(loc), slabs.offset(loc), PAGE_SIZE);
        } else { // from the guest: Xen's copy_uncompressed, timed as pg_copy (the 2009 LIST's C)
            long t0 = perfClock();
            MemorySegment.copy(src, 0, slabs.segment(loc), slabs.offset(loc), PAGE_SIZE);
            perfRecord(stats.pageCopy, t0);
        }
        return loc;
    }

    /** tmem_alloc_page: counts alloc_page_failed, and global_page_count (LIST {@code Fc}) for raw pages only. */
    private boolean takeRawPage(TmemPool pool) {
        if (!pool.budget.take()) {
            stats.allocPageFailed++;
            return false;
        }
        stats.pageTaken();
        return true;
    }

    private void giveRawPage(TmemPool pool) {
        pool.budget.give();
        stats.pageCount--;
    }

    /** Frees a page's data and its charge (a raw page to its budget, compressed bytes to its arena). */
    private void releaseData(int loc, TmemPool pool) {
        if (loc == NO_DATA) return;
        if (!PageSlabs.isRaw(loc)) {
            int n = slabs.header(loc) & PageSlabs.LENGTH;
            pool.arena.release(n);
            stats.liveCompressedBytes -= n;
            pool.client.compressedPages--;
            pool.client.compressedSumSize -= n;
        } else {
            giveRawPage(pool);
        }
        slabs.free(loc);
    }

    /** A stored page's 4096 bytes into {@code dst} at {@code off}. */
    private void decodeInto(int loc, MemorySegment dst, long off) {
        if (loc == NO_DATA) dst.asSlice(off, PAGE_SIZE).fill((byte) 0);
        else if (PageSlabs.isRaw(loc)) MemorySegment.copy(slabs.segment(loc), slabs.offset(loc), dst, off, PAGE_SIZE);
        else {
            decompressTo(loc, pageSeg);
            if (dst != pageSeg || off != 0) MemorySegment.copy(pageSeg, 0, dst, off, PAGE_SIZE);
        }
    }

    /**
     * Decompresses compressed slot {@code loc} into the 4096 native bytes at the start of {@code page} ({@link
     * #pageSeg} or a guest's frame: the decompressors bound what they write and read by positions in their input and
     * output, so a guest writing its frame meanwhile can only spoil its own page).
     */
    private void decompressTo(int loc, MemorySegment page) {
        long t0 = perfClock();
        int header = slabs.header(loc);
        codec.decompress(slabs.segment(loc), slabs.offset(loc) + PageSlabs.HEADER, header & PageSlabs.LENGTH,
                header & (PageSlabs.SAME_FILLED | PageSlabs.WORDS), page);
        perfRecord(stats.decompress, t0);
    }

    /** Removes a page from its object (and the object from its pool when empty) and frees its data. */
    private void deletePage(int page) {
        TmemObject obj = objectOf(page);
        TmemPool pool = obj.pool;
        int index = pageTable.index(page);
        obj.pages.remove(index);
        pool.pgpCount--;
        stats.pgpCount--;
        if (pool.persistent) {
            pool.client.persCount--;
            if (pool.client.migrating)
                pool.client.invalidated.add(new long[] {pool.poolId, index, obj.oid.oid0(), obj.oid.oid1(), obj.oid.oid2()});
        } else {
            lru.remove(page, pool.client);
        }
        releaseData(pageTable.loc(page), pool);
        pageTable.free(page);
        if (obj.pages.isEmpty()) {
            pool.objects.remove(obj.oid);
            unregisterObject(obj);
            pool.objCount--;
            stats.objCount--;
        }
    }

    /** do_tmem_get: 1 found and copied, 0 miss, -EEMPTY empty pool, -EFAULT bad destination. */
    long get(TmemClient caller, TmemPool pool, TmemOid oid, int index, PageOut out) {
        if (pool.pgpCount == 0) return -XenErrno.EEMPTY;
        pool.gets++;
        caller.totalGets++;
        TmemObject obj = pool.objects.get(oid);
        int page = obj == null ? NIL : obj.pages.get(index);
        if (page == NIL) return 0;
        int loc = pageTable.loc(page);
        boolean copied;
        if (PageSlabs.isRaw(loc)) copied = out.write(slabs.segment(loc), slabs.offset(loc));
        else if (out instanceof FullPageOut full) { // decompressed straight into the guest's frame
            MemorySegment f = full.frame();
            copied = f != null;
            if (copied) decompressTo(loc, f);
        } else {
            decompressTo(loc, pageSeg);
            copied = out.write(pageSeg, 0);
        }
        if (!copied) {
            stats.failedCopies++;
            return -XenErrno.EFAULT;
        }
        if (!pool.persistent) {
            if (!pool.shared) deletePage(page);
            else {
                lru.touch(page, pool.client);
                obj.lastClient = caller.domid;
            }
        }
        pool.foundGets++;
        // do_tmem_get: "struct client *client = pool->client": a sharer's get is credited to the pool's owner.
        if (pool.persistent) pool.client.succPersGets++; else pool.client.succEphGets++;
        return 1;
    }

    /** do_tmem_flush_page: 1 whether or not the page existed; -EFROZEN (after flushing) for a frozen owner. */
    long flushPage(TmemPool pool, TmemOid oid, int index) {
        pool.flushs++;
        TmemObject obj = pool.objects.get(oid);
        int page = obj == null ? NIL : obj.pages.get(index);
        if (page != NIL) {
            deletePage(page);
            pool.flushsFound++;
        }
        return pool.client.frozen ? -XenErrno.EFROZEN : 1;
    }

    /** do_tmem_flush_object: as flushPage for a whole object. */
    long flushObject(TmemPool pool, TmemOid oid) {
        pool.flushObjs++;
        TmemObject obj = pool.objects.get(oid);
        if (obj != null) {
            destroyObject(obj);
            pool.flushObjsFound++;
        }
        return pool.client.frozen ? -XenErrno.EFROZEN : 1;
    }

    // ------------------------------------------------------------------------------------------------ objects

    /** Gives {@code o} an id in the object table (a page's object column). */
    private void registerObject(TmemObject o) {
        int id = freeObjectCount > 0 ? freeObjectIds[--freeObjectCount] : objectIdsBumped++;
        if (id >= objectsById.length) objectsById = java.util.Arrays.copyOf(objectsById, objectsById.length * 2);
        objectsById[id] = o;
        o.id = id;
    }

    private void unregisterObject(TmemObject o) {
        objectsById[o.id] = null;
        if (freeObjectCount == freeObjectIds.length) freeObjectIds = java.util.Arrays.copyOf(freeObjectIds, freeObjectIds.length * 2);
        freeObjectIds[freeObjectCount++] = o.id;
        o.id = -1;
    }

    /** The object holding stored page {@code page}. */
    TmemObject objectOf(int page) { return objectsById[pageTable.objectId(page)]; }

    /** The index of stored page {@code page} in its object. */
    int indexOf(int page) { return pageTable.index(page); }

    /** True if stored page {@code page} holds compressed data. */
    boolean compressed(int page) { return !PageSlabs.isRaw(pageTable.loc(page)); }

    /**
     * Heap bytes of page metadata: the page table's columns, every object's index map, and the object table. The
     * objects themselves (TmemObject, its oid and the pool's hash-map entry) are per object, not per page, and are not
     * counted here; {@code bench tmem}'s heap rows measure them.
     */
    public long pageMetadataBytes() {
        long b = pageTable.metadataBytes() + slabs.metadataBytes() + 16 + 4L * objectsById.length + 16 + 4L * freeObjectIds.length;
        for (TmemObject o : objectsById) if (o != null) b += 16 + 4L * o.pages.capacity();
        return b;
    }

    /** The compression in use for clients with the compress flag: "lzo (java)", "lz4 (liblz4)" or "lz4 (java)". */
    public String compressionImplementation() { return codec.implementation(); }

    /** Native bytes in the slabs holding page data. */
    public long pageDataBytes() { return slabs.slabBytes(); }

    /** Stored pages. */
    public long storedPages() { return pageTable.size(); }

    // ------------------------------------------------------------------------------------------------ save/restore

    /**
     * SAVE_GET_NEXT_PAGE's iteration: the next page of a persistent pool still stored since the save began (a
     * snapshot taken on the first call), or NIL at the end (the cursor restarts).
     */
    int nextSavedPage(TmemPool pool) {
        if (pool.saveList == null) {
            int[] all = new int[(int) pool.pgpCount * 3];
            int n = 0;
            for (TmemObject o : pool.objects.values()) {
                for (int p : o.pages.values()) {
                    all[n++] = p;
                    all[n++] = o.id;
                    all[n++] = pageTable.index(p);
                }
            }
            pool.saveList = all;
            pool.saveNext = 0;
        }
        while (pool.saveNext + 3 <= pool.saveList.length) {
            int p = pool.saveList[pool.saveNext], id = pool.saveList[pool.saveNext + 1], index = pool.saveList[pool.saveNext + 2];
            pool.saveNext += 3;
            // still the same page: its handle is live, in the same object (still in this pool) at the same index
            if (!pageTable.isLive(p) || pageTable.objectId(p) != id || pageTable.index(p) != index) continue;
            TmemObject o = objectsById[id];
            if (o != null && o.pool == pool && pool.objects.get(o.oid) == o && o.pages.get(index) == p) return p;
        }
        pool.saveList = null;
        return NIL;
    }

    /** A stored page's 4096 bytes (decompressed). */
    void readPage(int page, byte[] out) { decodeInto(pageTable.loc(page), MemorySegment.ofArray(out), 0); }

    /** RESTORE_PUT_PAGE: a put into the client's pool from a 4096-byte buffer (do_tmem_put semantics). */
    long restorePut(TmemClient client, TmemPool pool, TmemOid oid, int index, MemorySegment src) {
        current = client;
        try {
            return put(client, pool, oid, index, (dst, off, old) -> {
                MemorySegment.copy(src, 0, dst, off, PAGE_SIZE);
                return true;
            }, false);
        } finally {
            current = null;
        }
    }
    // ------------------------------------------------------------------------------------------------ memory

    /**
     * tmem_ensure_avail_pages (4.12 PUT pre-check): at least 1 MiB (free-list + host free pages) must be free;
     * evicts until it is, giving up after 10 failed evictions.
     */
    private boolean ensureAvailPages() {
        int failed = 10;
        do {
            if (((freeListPages + host.freePages()) >> 8) != 0) return true;
            if (!evict()) failed--;
        } while (failed > 0);
        return false; // Xen 4.12 never increments low_on_memory (LIST Lm stays 0)
    }

    /**
     * tmem_evict: frees the least recently used ephemeral page, from the current client's list if it is over its
     * weighted quota, else from the global list. False if there is nothing to evict.
     */
    boolean evict() {
        stats.evictAttempts++;
        TmemClient c = current;
        int victim;
        if (c != null && overQuota(c) && c.lruHead != NIL) {
            victim = c.lruHead;
            while (victim != NIL && objectOf(victim) == busyObject) victim = lru.newerOfClient(victim);
        } else {
            victim = lru.oldest();
            while (victim != NIL && objectOf(victim) == busyObject) victim = lru.newer(victim);
        }
        if (victim == NIL) return false;
        deletePage(victim);
        stats.evictedPages++;
        return true;
    }

    /**
     * The intended client_over_quota: a client with weight w out of total weight W is over quota when it holds more
     * than its weighted share of the global ephemeral pages, c/G > w/W (Xen 4.12 and 2009 test the opposite; see
     * docs/DEVIATIONS.md). Weight 0 (the default) means no quota.
     */
    boolean overQuota(TmemClient c) {
        long total = weightTotal, w = c.weight, g = lru.count(), n = c.ephCount;
        if (total == 0 || w == 0 || n == 0 || g == 0) return false;
        return (n * 100) / g > (w * 100) / total;
    }

    /**
     * tmem_relinquish_pages for an order-0 allocation (HostMemory calls it while free memory is at or below the
     * mid-size zone): a page from tmem's free list, evicting at most 10 ephemeral pages to get one; the page goes back
     * to the host for the allocation. Also while tmem itself allocates (a put's page, Xen's MEMF_tmem): pages of the
     * object being written are never evicted (Xen's trylock on the object fails).
     */
    @Override public boolean relinquishOne() {
        if (!config.enabled() || freeablePages() == 0) return false;
        stats.relinqAttempts++;
        int maxEvictions = RELINQUISH_MAX_EVICTIONS;
        long evicts = 0;
        while (freeListPages == 0) {
            if (maxEvictions-- <= 0 || !evict()) break;
            evicts++;
        }
        stats.maxEvictsPerRelinq = Math.max(stats.maxEvictsPerRelinq, evicts);
        if (freeListPages == 0) return false;
        releaseFreeList(1);
        stats.relinqPages++;
        return true;
    }

    /** tmem_relinquish_pages' max_evictions. */
    static final int RELINQUISH_MAX_EVICTIONS = 10;

    /** tmem_relinquish_npages + release to host (control FLUSH): returns the free-list pages before releasing. */
    long relinquishNpages(long n) {
        long avail;
        while ((avail = freeListPages) < n) {
            if (!evict()) break;
        }
        avail = freeListPages;
        if (avail > 0) releaseFreeList(avail);
        return avail;
    }

    private void releaseFreeList(long n) {
        if (n <= 0) return;
        freeListPages -= n;
        host.free(n);
    }

    /** Ephemeral pages: tmem's free list first, then free host memory, never reclaiming (Xen's MEMF_tmem). */
    private final class EphemeralBudget implements PageBudget {
        /** __tmem_alloc_page: tmem's free list, else the heap (which, low on memory, recycles via relinquishOne). */
        @Override public boolean take() {
            if (freeListPages > 0) freeListPages--;
            else if (!host.allocate(1)) return false;
            ephemeralPagesInUse++;
            return true;
        }

        @Override public void give() {
            ephemeralPagesInUse--;
            freeListPages++;
        }
    }

    /** Persistent pages: allocated to the domain (tot_pages), failing at max_pages. */
    private final class DomainBudget implements PageBudget {
        private final int domid;

        DomainBudget(int domid) { this.domid = domid; }

        /**
         * tmem_alloc_page_thispool: a page from tmem's own free list is donated to the domain first (so evicted
         * ephemeral pages make room for persistent ones), otherwise the host heap; either way it counts in tot_pages
         * and fails at max_pages.
         */
        @Override public boolean take() {
            DomainMemory m = domains.memoryOf(domid);
            if (m == null) return false;
            boolean donated = freeListPages > 0;
            if (donated) releaseFreeList(1);
            if (!m.allocateExtra(1)) {
                if (donated && host.allocateNoReclaim(1)) freeListPages++;
                return false;
            }
            return true;
        }

        /**
         * __tmem_free_page_thispool: the page is stolen from the domain (tot_pages - 1) and kept on tmem's free list
         * (LIST {@code Ta}, QUERY_FREEABLE_MB); only if the steal fails (the domain is going away) is it freed.
         */
        @Override public void give() {
            DomainMemory m = domains.memoryOf(domid);
            if (m != null && m.stealExtra(1)) freeListPages++;
        }
    }
}
