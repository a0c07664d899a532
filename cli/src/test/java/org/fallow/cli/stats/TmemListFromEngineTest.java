package org.fallow.cli.stats;

import org.fallow.abi.AbiProfile;
import org.fallow.hypervisor.core.DomainMemory;
import org.fallow.hypervisor.core.HostMemory;
import org.fallow.hypervisor.tmem.TmemEngine;
import org.fallow.hypervisor.tmem.TmemList;
import org.fallow.hypervisor.tmem.TmemOid;
import org.fallow.hypervisor.tmem.TmemRequest;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

import static org.fallow.hypervisor.tmem.TmemDefs.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The LIST parser against text produced by the hypervisor's own tmem engine (TmemList), after a known sequence of
 * guest operations: the parsed per-client and per-pool figures must be the counts those operations imply.
 */
class TmemListFromEngineTest {
    private static final int FLAGS = SPEC_VERSION << POOL_VERSION_SHIFT;

    /** A domain with 64 frames of RAM and a page budget; persistent tmem pages count in its tot_pages. */
    private static final class Mem implements DomainMemory {
        final HostMemory host;
        final long max;
        long tot;
        final MemorySegment ram = MemorySegment.ofArray(new byte[64 * 4096]);

        Mem(HostMemory host, long max, long tot) {
            this.host = host;
            this.max = max;
            this.tot = tot;
            assertTrue(host.allocate(tot));
        }

        @Override public long maxPages() { return max; }
        @Override public long totPages() { return tot; }
        @Override public boolean allocateExtra(long n) {
            if (tot + n > max || !host.allocate(n)) return false;
            tot += n;
            return true;
        }
        @Override public void releaseExtra(long n) { tot -= n; host.free(n); }
        @Override public MemorySegment ramFrame(long gfn) { return gfn < 64 ? ram.asSlice(gfn * 4096, 4096) : null; }
    }

    private final HostMemory host = new HostMemory(4096);
    private final Map<Integer, Mem> doms = new HashMap<>();
    private final TmemEngine engine = new TmemEngine(host, doms::get, TmemEngine.Config.defaults());

    private long op(int domid, TmemRequest r) {
        Mem m = doms.get(domid);
        return engine.tmemOp(AbiProfile.XEN_4_12, domid, false, () -> r, m::ramFrame, x -> 0);
    }

    private void fill(int domid, long gfn, int seed) {
        MemorySegment f = doms.get(domid).ramFrame(gfn);
        for (int i = 0; i < 4096; i += 8) f.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i, seed * 0x9E3779B97F4A7C15L + i);
    }

    @Test
    void parsedFiguresAreTheCountsOfTheOperations() {
        host.addReclaimer(engine);
        doms.put(3, new Mem(host, 1000, 100));
        doms.put(4, new Mem(host, 1000, 100));
        assertEquals(0, op(3, TmemRequest.newPool(0, 0, FLAGS)));                    // dom3: ephemeral pool 0
        assertEquals(1, op(3, TmemRequest.newPool(0, 0, FLAGS | POOL_PERSIST)));     // dom3: persistent pool 1
        assertEquals(0, op(4, TmemRequest.newPool(0, 0, FLAGS)));                    // dom4: ephemeral pool 0
        TmemOid o = new TmemOid(7, 0, 0);
        for (int i = 0; i < 10; i++) {                                                // dom3: 10 ephemeral puts
            fill(3, 1 + i, i);
            assertEquals(1, op(3, TmemRequest.page(PUT_PAGE, 0, o, i, 1 + i)));
        }
        for (int i = 0; i < 4; i++) {                                                 // dom3: 4 persistent puts
            fill(3, 20 + i, 100 + i);
            assertEquals(1, op(3, TmemRequest.page(PUT_PAGE, 1, o, i, 20 + i)));
        }
        for (int i = 0; i < 3; i++) assertEquals(1, op(3, TmemRequest.page(GET_PAGE, 0, o, i, 40)));  // 3 hits (exclusive)
        assertEquals(0, op(3, TmemRequest.page(GET_PAGE, 0, o, 0, 40)));              // miss: taken already
        assertEquals(0, op(3, TmemRequest.page(GET_PAGE, 0, o, 99, 40)));             // miss: never put
        assertEquals(1, op(3, TmemRequest.page(GET_PAGE, 1, o, 2, 41)));              // persistent hit
        fill(4, 1, 50);
        assertEquals(1, op(4, TmemRequest.page(PUT_PAGE, 0, o, 0, 1)));
        assertEquals(0, op(4, TmemRequest.page(GET_PAGE, 0, o, 5, 2)));

        String text = TmemList.text(engine, CLI_ID_NULL, true, false, 32768);
        TmemListing l = TmemListing.parse(text);

        assertTrue(l.global().isPresent() && l.perfLine(), text);
        assertEquals(10 - 3 + 1, l.ephemeralPages(), "global ephemeral count (Ec)\n" + text);
        TmemListing.Client c3 = l.clients().get(3), c4 = l.clients().get(4);
        assertEquals(2, c3.pools().size());
        assertEquals(7, c3.ephemeralPages());
        assertEquals(4, c3.persistentPages());
        assertEquals(3, c3.ephemeralGetsFound());
        assertEquals(3, c3.sumPools(false, "gs"));
        assertEquals(5, c3.sumPools(false, "gt"));
        assertEquals(1, c3.sumPools(true, "gs"));
        assertEquals(1, c3.sumPools(true, "gt"));
        assertEquals(10, c3.sumPools(false, "pt"));
        assertEquals(4, c3.persistentPutsGood());
        TmemListing.Pool p1 = c3.pools().get(1);
        assertTrue(p1.persistent() && !p1.shared());
        assertEquals(1, p1.poolId());
        assertEquals(1, c4.ephemeralPages());
        assertEquals(0, c4.sumPools(false, "gs"));
        assertEquals(1, c4.sumPools(false, "gt"));

        DomainSample d = DomainSample.basic(3, "r", doms.get(3).tot, 1000, 0).withTmem(c3.ephemeralPages(), c3.persistentPages(),
                c3.sumPools(false, "gt"), c3.sumPools(false, "gs"), c3.sumPools(true, "gt"), c3.sumPools(true, "gs"), 10, 4);
        assertEquals(0.6, d.ephHitRate(), 1e-9);
        assertEquals(104, d.totPages(), "persistent pages count in tot_pages");
    }

    @Test
    void shortFormatAndSingleClientListingsParseToo() {
        doms.put(9, new Mem(host, 100, 10));
        assertEquals(0, op(9, TmemRequest.newPool(0, 0, FLAGS)));                      // creates the client
        assertEquals(1, new org.fallow.hypervisor.tmem.TmemControl(engine).sharedPoolAuth(9, 0x1234, 0xabcd, true));
        assertEquals(1, op(9, TmemRequest.newPool(0x1234, 0xabcd, FLAGS | POOL_SHARED)));
        TmemListing all = TmemListing.parse(TmemList.text(engine, CLI_ID_NULL, false, false, 32768));
        assertEquals(1, all.sharedPools().size());
        TmemListing.Pool s = new TmemListing.Pool(all.sharedPools().getFirst());
        assertEquals(0x1234, s.uuidLo());
        assertEquals(0xabcd, s.uuidHi());
        assertEquals(java.util.List.of(9), all.sharedPools().getFirst().sharers());
        TmemListing one = TmemListing.parse(TmemList.text(engine, 9, true, false, 32768));
        assertTrue(one.global().isEmpty());
        assertFalse(one.clients().get(9).pools().get(0).shared());
        assertTrue(one.clients().get(9).pools().get(1).shared());
        assertEquals(0x1234, one.clients().get(9).pools().get(1).uuidLo());
    }
}
