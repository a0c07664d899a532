package org.fallow.hypervisor.tmem;

import org.fallow.abi.AbiProfile;
import org.fallow.hypervisor.core.HostMemory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import static org.fallow.hypervisor.tmem.TmemDefs.*;

/** An engine over a fake host and fake domains, with helpers that issue tmem_ops the way the hypercall layer does. */
final class TmemFixture {
    static final int FLAGS_412 = SPEC_VERSION << POOL_VERSION_SHIFT;
    final HostMemory host;
    final Map<Integer, FakeDomainMemory> doms = new HashMap<>();
    final AtomicLong clock = new AtomicLong();
    final TmemEngine engine;
    final TmemControl control;
    AbiProfile profile = AbiProfile.XEN_4_12;
    boolean dying;
    long lastControl = Long.MIN_VALUE;

    TmemFixture(long hostPages) { this(hostPages, new TmemEngine.Config(true, false, () -> 0)); }

    TmemFixture(long hostPages, TmemEngine.Config config) {
        host = new HostMemory(hostPages);
        TmemEngine.Config c = new TmemEngine.Config(config.enabled(), config.compressByDefault(), clock::incrementAndGet, config.compression(),
                config.lz4Acceleration());
        engine = new TmemEngine(host, doms::get, c);
        host.addReclaimer(engine);
        control = new TmemControl(engine);
    }

    /** Creates domain {@code domid} with 64 frames and the given max/tot pages (tot pages are taken from the host). */
    FakeDomainMemory domain(int domid, long maxPages, long totPages) {
        if (!host.allocate(totPages)) throw new IllegalStateException("host too small");
        FakeDomainMemory m = new FakeDomainMemory(host, 64, maxPages, totPages);
        doms.put(domid, m);
        return m;
    }

    FakeDomainMemory domain(int domid) { return doms.computeIfAbsent(domid, d -> domain0(d)); }

    private FakeDomainMemory domain0(int d) { return new FakeDomainMemory(host, 64, 1 << 20, 0); }

    long op(int domid, TmemRequest r) {
        FakeDomainMemory m = domain(domid);
        return engine.tmemOp(profile, domid, dying, () -> r, m::ramFrame, req -> { lastControl = req.subop(); return 0; });
    }

    long newPool(int domid, int flags, long uuid0, long uuid1) { return op(domid, TmemRequest.newPool(uuid0, uuid1, flags)); }

    long newPool(int domid, int flags) { return newPool(domid, flags, 0, 0); }

    long put(int domid, int pool, TmemOid oid, int index, long gfn) { return op(domid, TmemRequest.page(PUT_PAGE, pool, oid, index, gfn)); }

    long get(int domid, int pool, TmemOid oid, int index, long gfn) { return op(domid, TmemRequest.page(GET_PAGE, pool, oid, index, gfn)); }

    long flushPage(int domid, int pool, TmemOid oid, int index) { return op(domid, TmemRequest.page(FLUSH_PAGE, pool, oid, index, 0)); }

    long flushObject(int domid, int pool, TmemOid oid) { return op(domid, TmemRequest.page(FLUSH_OBJECT, pool, oid, 0, 0)); }

    long destroyPool(int domid, int pool) { return op(domid, TmemRequest.pool(DESTROY_POOL, pool)); }

    /** Fills guest frame {@code gfn} of {@code domid} with pseudo-random bytes from {@code seed}. */
    void fillRandom(int domid, long gfn, long seed) {
        MemorySegment f = domain(domid).ramFrame(gfn);
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < 4096; i += 8) f.set(ValueLayout.JAVA_LONG_UNALIGNED, i, r.nextLong());
    }

    /** Fills a frame with a compressible pattern (a repeated short text with a seed-dependent byte). */
    void fillCompressible(int domid, long gfn, int seed) {
        MemorySegment f = domain(domid).ramFrame(gfn);
        for (int i = 0; i < 4096; i++) f.set(ValueLayout.JAVA_BYTE, i, (byte) ("tmem page " + seed).charAt(i % (9 + String.valueOf(seed).length())));
    }

    void fillZero(int domid, long gfn) { domain(domid).ramFrame(gfn).fill((byte) 0); }

    byte[] frame(int domid, long gfn) { return domain(domid).ramFrame(gfn).toArray(ValueLayout.JAVA_BYTE); }

    static TmemOid oid(long a) { return new TmemOid(a, a + 1, a + 2); }
}
