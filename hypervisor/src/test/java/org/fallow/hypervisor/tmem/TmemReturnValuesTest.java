package org.fallow.hypervisor.tmem;

import org.fallow.abi.XenErrno;
import org.junit.jupiter.api.Test;

import static org.fallow.hypervisor.tmem.TmemDefs.*;
import static org.fallow.hypervisor.tmem.TmemFixture.FLAGS_412;
import static org.fallow.hypervisor.tmem.TmemFixture.oid;
import static org.junit.jupiter.api.Assertions.*;

/** One test per return value of Xen 4.12 common/tmem.c do_tmem_op (do_tmem_op at RELEASE-4.12.0), named after the case. */
class TmemReturnValuesTest {
    static final int D = 5;
    final TmemFixture f = new TmemFixture(4096);

    // ---- do_tmem_op preamble, in Xen's order

    @Test void tmemNotEnabledIsEnodev() {
        TmemFixture off = new TmemFixture(4096, new TmemEngine.Config(false, false, () -> 0));
        assertEquals(-XenErrno.ENODEV, off.newPool(D, FLAGS_412));
        assertNull(off.engine.client(D));
    }

    @Test void dyingDomainWithClientIsEnodev() {
        assertEquals(0, f.newPool(D, FLAGS_412));
        f.dying = true;
        assertEquals(-XenErrno.ENODEV, f.put(D, 0, oid(1), 0, 1));
        assertEquals(1, f.engine.stats.erroredOps);
    }

    @Test void copyInFaultIsEfault() {
        f.domain(D);
        long rc = f.engine.tmemOp(f.profile, D, false, () -> null, TmemEngine.FrameResolver.NONE, r -> 0);
        assertEquals(-XenErrno.EFAULT, rc);
    }

    @Test void controlAuthAndRestoreNewCmdsAreEopnotsupp() {
        for (int cmd : new int[] {CONTROL, AUTH, RESTORE_NEW})
            assertEquals(-XenErrno.EOPNOTSUPP, f.op(D, TmemRequest.pool(cmd, 0)), "cmd " + cmd);
        assertNull(f.engine.client(D), "these cmds are refused before the client is created");
    }

    @Test void clientIsCreatedOnFirstUseWithXenDefaults() {
        assertEquals(0, f.newPool(D, FLAGS_412));
        TmemClient c = f.engine.client(D);
        assertNotNull(c);
        assertEquals(0, c.weight());
        assertFalse(c.frozen());
        assertFalse(c.compress());
        assertEquals(1, c.nrPools());
        for (long[] a : c.sharedAuth) assertArrayEquals(new long[] {-1, -1}, a);
        assertEquals(new TmemControl.ClientInfo(1, 16, 1, 0, 0), f.control.clientInfo(D));
    }

    @Test void clientCreationFailureIsEnomem() {
        // no such domain: client_create cannot find it
        long rc = f.engine.tmemOp(f.profile, 77, false, () -> TmemRequest.newPool(0, 0, FLAGS_412),
                TmemEngine.FrameResolver.NONE, r -> 0);
        assertEquals(-XenErrno.ENOMEM, rc);
    }

    @Test void poolIdOutOfRangeOrEmptySlotIsEnodev() {
        assertEquals(0, f.newPool(D, FLAGS_412));
        assertEquals(-XenErrno.ENODEV, f.put(D, -1, oid(1), 0, 1));
        assertEquals(-XenErrno.ENODEV, f.put(D, 16, oid(1), 0, 1));
        assertEquals(-XenErrno.ENODEV, f.get(D, 3, oid(1), 0, 1));
        assertEquals(-XenErrno.ENODEV, f.flushPage(D, 3, oid(1), 0));
        assertEquals(-XenErrno.ENODEV, f.flushObject(D, 1, oid(1)));
    }

    @Test void unknownCmdWithValidPoolIsEnosys() {
        assertEquals(0, f.newPool(D, FLAGS_412));
        for (int cmd : new int[] {NEW_PAGE, READ, WRITE, XCHG, 11, 99})
            assertEquals(-XenErrno.ENOSYS, f.op(D, TmemRequest.page(cmd, 0, oid(1), 0, 1)), "cmd " + cmd);
    }

    @Test void unknownCmdWithBadPoolIsEnodevFirst() {
        assertEquals(-XenErrno.ENODEV, f.op(D, TmemRequest.page(XCHG, 0, oid(1), 0, 1)));
    }

    // ---- NEW_POOL

    @Test void newPoolReturnsLowestFreeSlot() {
        assertEquals(0, f.newPool(D, FLAGS_412));
        assertEquals(1, f.newPool(D, FLAGS_412 | POOL_PERSIST));
        assertEquals(2, f.newPool(D, FLAGS_412));
        assertEquals(1, f.destroyPool(D, 1));
        assertEquals(1, f.newPool(D, FLAGS_412), "the freed slot is reused");
    }

    @Test void newPoolPoolIdArgumentIsIgnored() {
        long rc = f.op(D, new TmemRequest(NEW_POOL, 9, 0, 0, FLAGS_412, null, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
        assertEquals(0, rc);
    }

    @Test void newPoolSpecVersionNotOneIsEperm() {
        assertEquals(-XenErrno.EPERM, f.newPool(D, 0));
        assertEquals(-XenErrno.EPERM, f.newPool(D, 2 << POOL_VERSION_SHIFT));
    }

    @Test void newPoolSharedAndPersistentIsEperm() {
        assertEquals(-XenErrno.EPERM, f.newPool(D, FLAGS_412 | POOL_SHARED | POOL_PERSIST, 1, 2));
    }

    @Test void newPoolPagebitsNotZeroIsEperm() {
        assertEquals(-XenErrno.EPERM, f.newPool(D, FLAGS_412 | (1 << POOL_PAGESIZE_SHIFT)));
    }

    @Test void newPoolPrecompressedIsEperm() {
        assertEquals(-XenErrno.EPERM, f.newPool(D, FLAGS_412 | POOL_PRECOMPRESSED));
    }

    @Test void newPoolReservedBitIsEperm() {
        assertEquals(-XenErrno.EPERM, f.newPool(D, FLAGS_412 | 0x100));
        assertEquals(-XenErrno.EPERM, f.newPool(D, FLAGS_412 | 0x00800000));
        assertEquals(0, f.engine.client(D).nrPools());
    }

    @Test void newPoolSeventeenthPoolIsEperm() {
        for (int i = 0; i < 16; i++) assertEquals(i, f.newPool(D, FLAGS_412));
        assertEquals(-XenErrno.EPERM, f.newPool(D, FLAGS_412));
        assertEquals(16, f.engine.client(D).nrPools());
    }

    @Test void newSharedPoolWhenAllSixteenGlobalSlotsAreUsedIsEperm() {
        f.domain(D);
        f.domain(6);
        f.newPool(D, FLAGS_412); // create clients
        f.newPool(6, FLAGS_412);
        for (int i = 0; i < 17; i++) {
            f.control.sharedPoolAuth(i < 15 ? D : 6, 100 + i, 7, true);
        }
        for (int i = 0; i < 15; i++) assertEquals(i + 1, f.newPool(D, FLAGS_412 | POOL_SHARED, 100 + i, 7));
        assertEquals(1, f.newPool(6, FLAGS_412 | POOL_SHARED, 115, 7));
        assertEquals(-XenErrno.EPERM, f.newPool(6, FLAGS_412 | POOL_SHARED, 116, 7));
        assertNull(f.engine.client(6).pool(2), "the failed pool's slot stays free");
        assertEquals(2, f.newPool(6, FLAGS_412), "a private pool still works");
    }

    @Test void newSharedPoolWithAllOnesUuidCreatesPrivatePool() {
        assertEquals(0, f.newPool(D, FLAGS_412 | POOL_SHARED, -1, -1));
        assertFalse(f.engine.client(D).pool(0).shared());
        assertNull(f.engine.sharedPool(0));
    }

    @Test void newSharedPoolUnauthorizedSilentlyCreatesPrivatePool() {
        assertEquals(0, f.newPool(D, FLAGS_412 | POOL_SHARED, 0xAB, 0xCD));
        TmemPool p = f.engine.client(D).pool(0);
        assertFalse(p.shared());
        assertEquals(0xAB, p.uuid0(), "the uuid is still stored");
    }

    @Test void newSharedPoolAuthorizedCreatesThenJoinsGlobalPool() {
        f.newPool(D, FLAGS_412);
        f.newPool(6, FLAGS_412);
        assertEquals(1, f.control.sharedPoolAuth(D, 0xAB, 0xCD, true));
        assertEquals(1, f.control.sharedPoolAuth(6, 0xAB, 0xCD, true));
        assertEquals(1, f.newPool(D, FLAGS_412 | POOL_SHARED, 0xAB, 0xCD));
        assertEquals(1, f.newPool(6, FLAGS_412 | POOL_SHARED, 0xAB, 0xCD), "client-local slot of the joiner");
        TmemPool p = f.engine.sharedPool(0);
        assertSame(p, f.engine.client(D).pool(1));
        assertSame(p, f.engine.client(6).pool(1));
        assertEquals(java.util.List.of(D, 6), p.sharerDomids());
        assertEquals(D, p.ownerDomid());
    }

    // ---- DESTROY_POOL

    @Test void destroyPoolOfMissingPoolReturnsZero() {
        f.newPool(D, FLAGS_412);
        assertEquals(0, f.destroyPool(D, 3));
        assertEquals(0, f.destroyPool(D, 16));
        assertEquals(0, f.destroyPool(D, -1));
    }

    @Test void destroyPoolOfExistingPoolFlushesItAndReturnsOne() {
        f.newPool(D, FLAGS_412);
        f.fillRandom(D, 1, 1);
        assertEquals(1, f.put(D, 0, oid(1), 0, 1));
        assertEquals(1, f.destroyPool(D, 0));
        assertEquals(0, f.engine.ephemeralPages());
        assertEquals(-XenErrno.ENODEV, f.get(D, 0, oid(1), 0, 2));
    }

    @Test void destroySharedPoolByOwnerHandsOwnershipToNextSharer() {
        f.newPool(D, FLAGS_412);
        f.newPool(6, FLAGS_412);
        f.control.sharedPoolAuth(D, 1, 2, true);
        f.control.sharedPoolAuth(6, 1, 2, true);
        assertEquals(1, f.newPool(D, FLAGS_412 | POOL_SHARED, 1, 2));
        assertEquals(1, f.newPool(6, FLAGS_412 | POOL_SHARED, 1, 2));
        f.fillRandom(D, 1, 11);
        f.fillRandom(6, 1, 12);
        assertEquals(1, f.put(D, 1, oid(1), 0, 1));
        assertEquals(1, f.put(6, 1, oid(2), 0, 1));
        assertEquals(1, f.destroyPool(D, 1));
        TmemPool p = f.engine.sharedPool(0);
        assertNotNull(p, "the pool survives while a sharer remains");
        assertEquals(6, p.ownerDomid());
        assertEquals(1, p.poolId(), "stored id is the new owner's slot");
        assertEquals(1, p.pages(), "objects last used by the leaver are flushed");
        assertEquals(1, f.engine.client(6).ephemeralPages());
        assertEquals(0, f.engine.client(D).ephemeralPages());
        assertEquals(1, f.get(6, 1, oid(2), 0, 3));
        assertEquals(1, f.destroyPool(6, 1));
        assertNull(f.engine.sharedPool(0), "the last sharer frees the global slot");
        assertEquals(0, f.engine.ephemeralPages());
    }

    // ---- PUT_PAGE

    @Test void putNewPageReturnsOne() {
        f.newPool(D, FLAGS_412);
        f.fillRandom(D, 1, 1);
        assertEquals(1, f.put(D, 0, oid(1), 7, 1));
        assertEquals(1, f.engine.client(D).pool(0).pages());
    }

    @Test void dupPutReplacesDataInPlaceAndReturnsOne() {
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        f.fillRandom(D, 1, 1);
        assertEquals(1, f.put(D, 0, oid(1), 7, 1));
        f.fillRandom(D, 2, 2);
        assertEquals(1, f.put(D, 0, oid(1), 7, 2));
        assertEquals(1, f.get(D, 0, oid(1), 7, 3));
        assertArrayEquals(f.frame(D, 2), f.frame(D, 3));
        TmemPool p = f.engine.client(D).pool(0);
        assertEquals(1, p.pages());
        assertEquals(1, p.dupPutsReplaced);
    }

    @Test void dupPutIntoFrozenClientIsAllowed() {
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        f.fillRandom(D, 1, 1);
        assertEquals(1, f.put(D, 0, oid(1), 7, 1));
        assertEquals(0, f.control.freeze(D, true));
        assertEquals(1, f.put(D, 0, oid(1), 7, 1));
    }

    @Test void dupPutWhileMigratingFlushesOldCopyAndReturnsEnospc() {
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        f.fillRandom(D, 1, 1);
        assertEquals(1, f.put(D, 0, oid(1), 7, 1));
        assertEquals(0, f.control.saveBegin(D, true));
        assertEquals(-XenErrno.ENOSPC, f.put(D, 0, oid(1), 7, 1));
        assertEquals(0, f.control.saveEnd(D));
        assertEquals(-XenErrno.EEMPTY, f.get(D, 0, oid(1), 7, 2), "the old copy is gone");
        assertEquals(1, f.engine.client(D).pool(0).dupPutsFlushed);
    }

    @Test void dupPutThatCannotGetMemoryFlushesOldCopyAndReturnsEnospc() {
        FakeDomainMemory m = f.domain(D, 10, 9);
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        f.control.setClientInfo(D, new TmemControl.ClientInfo(1, 16, 0, CLIENT_FLAG_COMPRESS, 0));
        f.fillCompressible(D, 1, 1);
        assertEquals(1, f.put(D, 0, oid(1), 0, 1)); // a few dozen bytes of LZO: the arena takes the 10th page
        assertEquals(1, f.put(D, 0, oid(1), 1, 1)); // shares that arena page
        assertEquals(10, m.totPages());
        f.fillRandom(D, 2, 2);                      // incompressible: needs a raw page, none left
        assertEquals(-XenErrno.ENOSPC, f.put(D, 0, oid(1), 1, 2));
        assertEquals(0, f.get(D, 0, oid(1), 1, 3), "the old copy is gone");
        assertEquals(1, f.get(D, 0, oid(1), 0, 3), "the other page is intact");
        assertArrayEquals(f.frame(D, 1), f.frame(D, 3));
    }

    @Test void dupPutCopyFaultFlushesOldCopyAndReturnsEfault() {
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        f.fillRandom(D, 1, 1);
        assertEquals(1, f.put(D, 0, oid(1), 7, 1));
        f.domain(D).notRam.add(2L);
        assertEquals(-XenErrno.EFAULT, f.put(D, 0, oid(1), 7, 2));
        assertEquals(-XenErrno.EEMPTY, f.get(D, 0, oid(1), 7, 3));
    }

    @Test void newPutIntoFrozenClientIsEfrozen() {
        f.newPool(D, FLAGS_412);
        f.fillRandom(D, 1, 1);
        f.control.freeze(D, true);
        assertEquals(-XenErrno.EFROZEN, f.put(D, 0, oid(1), 0, 1));
        assertEquals(0, f.engine.client(D).pool(0).pages());
        f.control.freeze(D, false);
        assertEquals(1, f.put(D, 0, oid(1), 0, 1));
    }

    @Test void putWithLessThanOneMibFreeAndNothingToEvictIsEnomem() {
        f.newPool(D, FLAGS_412);
        f.fillRandom(D, 1, 1);
        assertTrue(f.host.allocate(f.host.freePages() - 255));
        assertEquals(-XenErrno.ENOMEM, f.put(D, 0, oid(1), 0, 1));
        assertEquals(0, f.engine.stats.lowOnMemory, "Xen 4.12 never counts low_on_memory (LIST Lm)");
        assertEquals(10, f.engine.stats.evictAttempts, "gives up after 10 failed evictions");
    }

    @Test void putEvictsEphemeralPagesToKeepOneMibFree() {
        f.newPool(D, FLAGS_412);
        for (int i = 0; i < 4; i++) {
            f.fillRandom(D, 1, i);
            assertEquals(1, f.put(D, 0, oid(i), 0, 1));
        }
        // leave 255 free host pages: one eviction (onto tmem's free list) makes 1 MiB
        assertTrue(f.host.allocate(f.host.freePages() - 255));
        f.fillRandom(D, 1, 99);
        assertEquals(1, f.put(D, 0, oid(99), 0, 1));
        assertEquals(1, f.engine.stats.evictedPages, "the oldest page was evicted");
        assertEquals(0, f.get(D, 0, oid(0), 0, 2), "oldest gone");
        assertEquals(1, f.get(D, 0, oid(1), 0, 2));
    }

    @Test void persistentPutAtMaxPagesIsEnomem() {
        FakeDomainMemory m = f.domain(D, 10, 9);
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        f.fillRandom(D, 1, 1);
        assertEquals(1, f.put(D, 0, oid(1), 0, 1));
        assertEquals(10, m.totPages(), "persistent pages count in tot_pages");
        assertEquals(-XenErrno.ENOMEM, f.put(D, 0, oid(1), 1, 1));
        assertEquals(1, f.flushPage(D, 0, oid(1), 0));
        assertEquals(9, m.totPages());
    }

    @Test void putFromNonRamFrameIsEfault() {
        f.newPool(D, FLAGS_412);
        assertEquals(-XenErrno.EFAULT, f.put(D, 0, oid(1), 0, 10_000));
        f.domain(D).notRam.add(3L);
        assertEquals(-XenErrno.EFAULT, f.put(D, 0, oid(1), 0, 3));
        assertEquals(0, f.engine.client(D).pool(0).pages());
        assertEquals(2, f.engine.stats.failedCopies);
    }

    // ---- GET_PAGE

    @Test void getFromEmptyPoolIsEemptyBeforeTheLookup() {
        f.newPool(D, FLAGS_412);
        assertEquals(-XenErrno.EEMPTY, f.get(D, 0, oid(1), 0, 10_000), "checked before the frame is touched");
    }

    @Test void getMissInNonEmptyPoolIsZero() {
        f.newPool(D, FLAGS_412);
        f.fillRandom(D, 1, 1);
        f.put(D, 0, oid(1), 0, 1);
        assertEquals(0, f.get(D, 0, oid(2), 0, 2), "unknown object");
        assertEquals(0, f.get(D, 0, oid(1), 1, 2), "unknown index");
    }

    @Test void getHitCopiesThePageAndReturnsOne() {
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        f.fillRandom(D, 1, 1);
        f.put(D, 0, oid(1), 0xFFFFFFFF, 1);
        assertEquals(1, f.get(D, 0, oid(1), 0xFFFFFFFF, 2));
        assertArrayEquals(f.frame(D, 1), f.frame(D, 2));
        assertEquals(1, f.engine.client(D).successfulPersistentGets());
    }

    @Test void getFromPrivateEphemeralPoolIsExclusive() {
        f.newPool(D, FLAGS_412);
        f.fillRandom(D, 1, 1);
        f.put(D, 0, oid(1), 0, 1);
        f.put(D, 0, oid(1), 1, 1);
        assertEquals(1, f.get(D, 0, oid(1), 0, 2));
        assertEquals(0, f.get(D, 0, oid(1), 0, 2), "the page left tmem");
        assertEquals(1, f.get(D, 0, oid(1), 1, 2));
        assertEquals(-XenErrno.EEMPTY, f.get(D, 0, oid(1), 1, 2), "and the object with its last page");
        assertEquals(0, f.engine.client(D).pool(0).objects());
        assertEquals(2, f.engine.client(D).successfulEphemeralGets());
    }

    @Test void getFromSharedEphemeralPoolKeepsPageMovesItToLruTailAndSetsLastClient() {
        f.newPool(D, FLAGS_412);
        f.newPool(6, FLAGS_412);
        f.control.sharedPoolAuth(D, 1, 2, true);
        f.control.sharedPoolAuth(6, 1, 2, true);
        f.newPool(D, FLAGS_412 | POOL_SHARED, 1, 2);
        f.newPool(6, FLAGS_412 | POOL_SHARED, 1, 2);
        f.fillRandom(D, 1, 1);
        f.put(D, 1, oid(1), 0, 1);
        f.put(D, 1, oid(2), 0, 1);
        assertEquals(f.engine.client(D).pool(1).objects.get(oid(1)).pages.get(0), f.engine.lru.oldest());
        assertEquals(1, f.get(6, 1, oid(1), 0, 2));
        assertArrayEquals(f.frame(D, 1), f.frame(6, 2));
        assertEquals(1, f.get(6, 1, oid(1), 0, 2), "non-destructive");
        TmemObject o1 = f.engine.client(D).pool(1).objects.get(oid(1));
        assertEquals(o1.pages.get(0), f.engine.lru.newest(), "moved to the most recent end");
        assertEquals(6, o1.lastClient);
        assertEquals(0, f.engine.client(6).successfulEphemeralGets(), "do_tmem_get credits the pool's owner");
        assertEquals(2, f.engine.client(D).successfulEphemeralGets());
    }

    @Test void getFromPersistentPoolIsNonDestructive() {
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        f.fillRandom(D, 1, 1);
        f.put(D, 0, oid(1), 0, 1);
        assertEquals(1, f.get(D, 0, oid(1), 0, 2));
        assertEquals(1, f.get(D, 0, oid(1), 0, 3));
        assertArrayEquals(f.frame(D, 1), f.frame(D, 3));
    }

    @Test void getIntoNonRamFrameIsEfaultAndKeepsThePage() {
        f.newPool(D, FLAGS_412);
        f.fillRandom(D, 1, 1);
        f.put(D, 0, oid(1), 0, 1);
        f.domain(D).notRam.add(2L);
        assertEquals(-XenErrno.EFAULT, f.get(D, 0, oid(1), 0, 2));
        assertEquals(1, f.get(D, 0, oid(1), 0, 3), "no guest data lost on a bad destination");
        assertArrayEquals(f.frame(D, 1), f.frame(D, 3));
    }

    // ---- FLUSH_PAGE / FLUSH_OBJECT

    @Test void flushPageReturnsOneWhetherOrNotThePageExisted() {
        f.newPool(D, FLAGS_412);
        f.fillRandom(D, 1, 1);
        f.put(D, 0, oid(1), 0, 1);
        assertEquals(1, f.flushPage(D, 0, oid(1), 0));
        assertEquals(1, f.flushPage(D, 0, oid(1), 0));
        assertEquals(1, f.flushPage(D, 0, oid(9), 3));
        assertEquals(-XenErrno.EEMPTY, f.get(D, 0, oid(1), 0, 2));
        assertEquals(3, f.engine.client(D).pool(0).flushs);
        assertEquals(1, f.engine.client(D).pool(0).flushsFound);
    }

    @Test void flushPageOfFrozenClientFlushesThenReturnsEfrozen() {
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        f.fillRandom(D, 1, 1);
        f.put(D, 0, oid(1), 0, 1);
        f.control.freeze(D, true);
        assertEquals(-XenErrno.EFROZEN, f.flushPage(D, 0, oid(1), 0));
        assertEquals(-XenErrno.EEMPTY, f.get(D, 0, oid(1), 0, 2), "gets still work; the page is gone");
    }

    @Test void flushObjectDestroysAllItsPagesAndReturnsOne() {
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        f.fillRandom(D, 1, 1);
        for (int i = 0; i < 5; i++) f.put(D, 0, oid(1), i, 1);
        f.put(D, 0, oid(2), 0, 1);
        assertEquals(1, f.flushObject(D, 0, oid(1)));
        assertEquals(1, f.flushObject(D, 0, oid(1)));
        assertEquals(1, f.engine.client(D).pool(0).pages());
        assertEquals(1, f.get(D, 0, oid(2), 0, 2));
    }

    @Test void flushObjectOfFrozenClientFlushesThenReturnsEfrozen() {
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        f.fillRandom(D, 1, 1);
        f.put(D, 0, oid(1), 0, 1);
        f.control.freeze(D, true);
        assertEquals(-XenErrno.EFROZEN, f.flushObject(D, 0, oid(1)));
        assertEquals(0, f.engine.client(D).pool(0).pages());
    }
}
