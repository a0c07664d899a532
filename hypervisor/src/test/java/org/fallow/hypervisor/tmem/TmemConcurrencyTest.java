package org.fallow.hypervisor.tmem;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.core.Caller;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.hypervisor.tmem.TmemDefs.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Several guests (threads, each its own domain) put, get, dup-put and flush at once through the HypervisorCore, on a
 * host small enough that ephemeral pages are evicted and persistent puts hit max_pages. Every guest keeps a model of
 * what it stored ((pool, oid, index) -> version) and checks that every successful get returns exactly the bytes of
 * that version (content derived from (domid, pool, oid, index, version): random, compressible text or zeros), that
 * persistent pages are never lost, and that nothing it did not store ever comes back.
 */
@Timeout(120)
class TmemConcurrencyTest {
    static final int GUESTS = 4, OPS = 2500, OIDS = 24, INDEXES = 12;
    static final long OPH = 256;
    final InProcessHypervisor hv = new InProcessHypervisor(700);

    @AfterEach void close() { hv.close(); }

    record Key(int pool, long oid, int index) {}

    /** The 4096 bytes of version {@code v} of a key, for domain {@code d}. */
    static void content(MemorySegment f, int d, Key k, int v) {
        long seed = ((((d * 31L + k.pool()) * 1_000_003L + k.oid()) * 131L + k.index()) * 7919L) + v;
        SplittableRandom r = new SplittableRandom(seed);
        int kind = r.nextInt(10);
        if (kind == 0) {
            f.fill((byte) 0);
        } else if (kind < 5) {
            byte[] text = ("page d" + d + " " + k + " v" + v + " ").getBytes();
            for (int i = 0; i < 4096; i++) f.set(ValueLayout.JAVA_BYTE, i, text[i % text.length]);
        } else {
            for (int i = 0; i < 4096; i += 8) f.set(U64_UNALIGNED, i, r.nextLong());
        }
    }

    final class GuestRun {
        final int d;
        final Caller c;
        final FakeDomainMemory m;
        final MemorySegment op, src, dst, want;
        final Map<Key, Integer> model = new HashMap<>();
        final SplittableRandom rnd;
        int version, goodGets, mismatches;
        final List<String> errors = new ArrayList<>();

        GuestRun(int d) {
            this.d = d;
            m = (FakeDomainMemory) hv.core.domains().get(d).memory();
            c = hv.guest(d, AbiProfile.XEN_4_12);
            op = m.ram.asSlice(OPH, 56);
            src = m.ram.asSlice(4096, 4096);
            dst = m.ram.asSlice(2 * 4096, 4096);
            want = m.ram.asSlice(3 * 4096, 4096);
            rnd = new SplittableRandom(d * 7L);
        }

        long page(int cmd, Key k, long gfn) {
            TmemOpCodec.encodePage(AbiProfile.XEN_4_12, op, cmd, k.pool(), new TmemOid(k.oid(), d, 0), k.index(), gfn);
            return hv.tmemOp(c, OPH);
        }

        long newPool(int flags, long u0, long u1) {
            TmemOpCodec.encodeNewPool(AbiProfile.XEN_4_12, op, u0, u1, flags);
            return hv.tmemOp(c, OPH);
        }

        boolean persistent(int pool) { return pool == 1; }

        void check(Key k, long rc, String what) {
            Integer v = model.get(k);
            if (rc == 1) {
                if (v == null) { errors.add(what + " " + k + " returned a page never stored"); return; }
                content(want, d, k, v);
                if (dst.mismatch(want) != -1) { mismatches++; errors.add(what + " " + k + " v" + v + ": wrong bytes"); }
                goodGets++;
                if (k.pool() == 0) model.remove(k); // private ephemeral: exclusive
            } else if (rc == 0 || rc == -XenErrno.EEMPTY) {
                if (v != null && persistent(k.pool())) errors.add(what + " " + k + " v" + v + ": persistent page lost (" + rc + ")");
                if (v != null) model.remove(k); // evicted
            } else {
                errors.add(what + " " + k + ": unexpected " + rc);
            }
        }

        void run() {
            for (int i = 0; i < OPS; i++) {
                int pool = rnd.nextInt(3);
                Key k = new Key(pool, rnd.nextInt(OIDS), rnd.nextInt(INDEXES));
                int what = rnd.nextInt(10);
                if (what < 5) {
                    int v = ++version;
                    content(src, d, k, v);
                    long rc = page(PUT_PAGE, k, 1);
                    if (rc == 1) model.put(k, v);
                    else if (rc == -XenErrno.ENOMEM) { /* no room: a new page is not stored, an old copy stays */ }
                    else if (rc == -XenErrno.ENOSPC && model.containsKey(k)) model.remove(k); // failed dup put
                    else errors.add("put " + k + ": unexpected " + rc);
                } else if (what < 8) {
                    dst.fill((byte) 0x55);
                    check(k, page(GET_PAGE, k, 2), "get");
                } else if (what < 9) {
                    long rc = page(FLUSH_PAGE, k, 0);
                    if (rc != 1) errors.add("flush " + k + ": " + rc);
                    model.remove(k);
                } else {
                    long rc = page(FLUSH_OBJECT, k, 0);
                    if (rc != 1) errors.add("flush_object " + k + ": " + rc);
                    model.keySet().removeIf(x -> x.pool() == k.pool() && x.oid() == k.oid());
                }
            }
            // finally every persistent page in the model must still be there, byte for byte
            for (Map.Entry<Key, Integer> e : new ArrayList<>(model.entrySet())) {
                if (!persistent(e.getKey().pool())) continue;
                dst.fill((byte) 0x55);
                check(e.getKey(), page(GET_PAGE, e.getKey(), 2), "final get");
            }
        }
    }

    @Test void concurrentGuestsAlwaysGetBackExactlyWhatTheyPut() throws Exception {
        List<GuestRun> runs = new ArrayList<>();
        for (int i = 0; i < GUESTS; i++) {
            int d = 10 + i;
            hv.createDomain(d, 8, 60); // persistent pages: at most 60 per domain
            GuestRun g = new GuestRun(d);
            assertEquals(0, g.newPool(1 << 24, 0, 0));
            assertEquals(1, g.newPool((1 << 24) | POOL_PERSIST, 0, 0));
            hv.onDispatch(() -> hv.tmem.control().sharedPoolAuth(d, 0xC0FFEE, 0xBEEF, true));
            assertEquals(2, g.newPool((1 << 24) | POOL_SHARED, 0xC0FFEE, 0xBEEF));
            if (i % 2 == 1) hv.onDispatch(() -> hv.tmem.control().setClientInfo(d, new TmemControl.ClientInfo(1, 16, 0, CLIENT_FLAG_COMPRESS, 0)));
            runs.add(g);
        }
        assertTrue(hv.onDispatch(() -> hv.tmem.engine().client(10).pool(2).shared()));
        ExecutorService pool = Executors.newFixedThreadPool(GUESTS);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (GuestRun g : runs) fs.add(pool.submit(g::run));
            for (Future<?> f : fs) f.get();
        } finally {
            pool.shutdownNow();
        }
        int goodGets = 0;
        for (GuestRun g : runs) {
            assertEquals(List.of(), g.errors.subList(0, Math.min(10, g.errors.size())), "guest d" + g.d);
            assertEquals(0, g.mismatches);
            goodGets += g.goodGets;
        }
        long evicted = hv.onDispatch(() -> hv.tmem.engine().stats().evictedPages());
        assertTrue(evicted > 0, "the host was small enough to force evictions");
        assertTrue(goodGets > GUESTS * 100, "gets hit: " + goodGets);
        for (GuestRun g : runs) assertTrue(g.m.totPages() <= 60, "max_pages respected");
    }
}
