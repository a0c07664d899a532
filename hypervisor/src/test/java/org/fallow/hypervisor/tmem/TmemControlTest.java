package org.fallow.hypervisor.tmem;

import org.fallow.abi.XenErrno;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.fallow.hypervisor.tmem.TmemDefs.*;
import static org.fallow.hypervisor.tmem.TmemFixture.FLAGS_412;
import static org.fallow.hypervisor.tmem.TmemFixture.oid;
import static org.junit.jupiter.api.Assertions.*;

/** Control operations (Xen 4.12 common/tmem_control.c, public/sysctl.h; the 2009 tmem of commit 6009f4ddb2) at the engine level. */
class TmemControlTest {
    static final int D = 5, E = 6;
    final TmemFixture f = new TmemFixture(4096);
    final TmemControl c = f.control;

    @Test void freezeAndThawOneOrAllClients() {
        f.newPool(D, FLAGS_412);
        f.newPool(E, FLAGS_412);
        assertEquals(-1, c.freeze(9, true), "unknown client");
        assertEquals(0, c.freeze(D, true));
        assertTrue(f.engine.client(D).frozen());
        assertFalse(f.engine.client(E).frozen());
        assertEquals(0, c.freeze(CLI_ID_NULL, true));
        assertTrue(f.engine.client(E).frozen());
        assertEquals(0, c.freeze(0xFFFFFFFF, false), "(uint32)-1 truncates to 0xFFFF = all");
        assertFalse(f.engine.client(D).frozen());
        assertEquals(0, c.clientInfo(D).flags());
        c.freeze(D, true);
        assertEquals(CLIENT_FLAG_FROZEN, c.clientInfo(D).flags(), "frozen is bit 0 of xen_tmem_client.flags");
    }

    @Test void destroyDestroysTheClientsPoolsButKeepsTheClient() {
        f.newPool(D, FLAGS_412);
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        f.fillRandom(D, 1, 1);
        f.put(D, 0, oid(1), 0, 1);
        f.put(D, 1, oid(1), 0, 1);
        assertEquals(-1, c.destroyPools(9));
        assertEquals(0, c.destroyPools(D));
        assertEquals(0, f.engine.client(D).nrPools());
        assertEquals(0, f.engine.stats.storedPages());
        assertEquals(0, f.newPool(D, FLAGS_412), "the client can start again");
    }

    @Test void flushIsAllClientsOnlyAndReturnsKilobytes() {
        f.newPool(D, FLAGS_412);
        for (int i = 0; i < 6; i++) {
            f.fillRandom(D, 1, i);
            f.put(D, 0, oid(i), 0, 1);
        }
        assertEquals(-1, c.flushMem(D, 100));
        long free0 = f.host.freePages();
        assertEquals(12, c.flushMem(CLI_ID_NULL, 9), "ceil(9 kB / 4) = 3 pages evicted, 3 pages = 12 kB released");
        assertEquals(free0 + 3, f.host.freePages());
        assertEquals(3, f.engine.ephemeralPages());
        assertEquals(0, f.get(D, 0, oid(0), 0, 2), "oldest went first");
    }

    @Test void queryFreeableMbCountsEphemeralAndFreeListPages() {
        f.newPool(D, FLAGS_412);
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        for (int i = 0; i < 300; i++) {
            f.fillRandom(D, 1, i);
            f.put(D, 0, oid(i), 0, 1);
            f.put(D, 1, oid(i), 0, 1);
        }
        assertEquals(1, c.queryFreeableMb(), "300 ephemeral pages >> 8; persistent pages are not freeable");
    }

    @Test void setClientInfoChecksVersionAndMaxpoolsAndSetsWeightAndCompress() {
        f.newPool(D, FLAGS_412);
        assertEquals(-XenErrno.ENOENT, c.setClientInfo(9, new TmemControl.ClientInfo(1, 16, 0, 0, 1)));
        assertEquals(-XenErrno.EOPNOTSUPP, c.setClientInfo(D, new TmemControl.ClientInfo(0, 16, 0, 0, 1)));
        assertEquals(-XenErrno.ERANGE, c.setClientInfo(D, new TmemControl.ClientInfo(1, 17, 0, 0, 1)));
        assertEquals(0, c.setClientInfo(D, new TmemControl.ClientInfo(1, 16, 7, CLIENT_FLAG_COMPRESS | CLIENT_FLAG_FROZEN, 4)));
        TmemClient cl = f.engine.client(D);
        assertEquals(4, cl.weight());
        assertTrue(cl.compress());
        assertFalse(cl.frozen(), "frozen and nr_pools are ignored");
        assertEquals(new TmemControl.ClientInfo(1, 16, 1, CLIENT_FLAG_COMPRESS, 4), c.clientInfo(D));
        assertEquals(TmemControl.ClientInfo.GENERIC, c.clientInfo(9));
    }

    @Test void setClientInfoForAllClientsNeedsAClient() {
        assertEquals(-XenErrno.ENOENT, c.setClientInfo(CLI_ID_NULL, new TmemControl.ClientInfo(1, 16, 0, 0, 1)));
        f.newPool(D, FLAGS_412);
        f.newPool(E, FLAGS_412);
        assertEquals(0, c.setClientInfo(CLI_ID_NULL, new TmemControl.ClientInfo(1, 16, 0, 0, 3)));
        assertEquals(3, f.engine.client(E).weight());
        assertEquals(6, f.engine.weightTotal);
    }

    @Test void poolsListsExistingPoolsInSlotOrder() {
        assertNull(c.pools(D));
        f.newPool(D, FLAGS_412);
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        f.destroyPool(D, 0);
        f.newPool(D, FLAGS_412 | POOL_SHARED, 3, 4); // unauthorised: private, uuid kept
        f.fillRandom(D, 1, 1);
        f.put(D, 1, oid(1), 0, 1);
        assertEquals(List.of(new TmemControl.PoolInfo(0x01000000, 0, 0, 3, 4), new TmemControl.PoolInfo(0x01000001, 1, 1, 0, 0)),
                c.pools(D));
    }

    @Test void newPoolAtSlotForRestore() {
        f.domain(D);
        assertNotNull(c.clientOrCreate(D));
        assertEquals(3, c.newPoolAt(D, new TmemControl.PoolInfo(FLAGS_412 | POOL_PERSIST, 3, 0, 0, 0)));
        assertEquals(-XenErrno.EPERM, c.newPoolAt(D, new TmemControl.PoolInfo(FLAGS_412, 3, 0, 0, 0)), "slot taken");
        assertEquals(-XenErrno.EPERM, c.newPoolAt(D, new TmemControl.PoolInfo(FLAGS_412 | POOL_INFO_AUTH, 4, 0, 0, 0)),
                "auth bit = PRECOMPRESSED");
        assertTrue(f.engine.client(D).pool(3).persistent());
    }

    @Test void sharedPoolAuthAddsRemovesAndFillsUp() {
        assertEquals(-XenErrno.EINVAL, c.sharedPoolAuth(D, 1, 2, true), "no client");
        f.newPool(D, FLAGS_412);
        for (int i = 0; i < 16; i++) assertEquals(1, c.sharedPoolAuth(D, i, 100, true));
        assertEquals(-XenErrno.ENOMEM, c.sharedPoolAuth(D, 99, 100, true));
        assertEquals(0, c.sharedPoolAuth(D, 99, 100, false), "removing an unknown uuid");
        assertEquals(1, c.sharedPoolAuth(D, 4, 100, false));
        assertEquals(15, c.authList(D).size());
        assertEquals(1, c.sharedPoolAuth(D, 99, 100, true), "the freed slot is reused");
        assertEquals(1, c.sharedPoolAuth(CLI_ID_NULL, 0, 0, true), "global switch");
        assertEquals(1, f.newPool(D, FLAGS_412 | POOL_SHARED, 55, 66));
        assertTrue(f.engine.client(D).pool(1).shared(), "anyone may share with the switch on");
    }

    @Test void saveBeginNeedsAPoolAndSaveEndRestoresFrozen() {
        assertEquals(-XenErrno.ENOENT, c.saveBegin(D, false));
        f.newPool(D, FLAGS_412);
        assertEquals(0, c.saveBegin(D, true));
        assertTrue(f.engine.client(D).frozen());
        assertTrue(f.engine.client(D).migrating());
        assertEquals(0, c.saveEnd(D));
        assertFalse(f.engine.client(D).frozen());
        assertFalse(f.engine.client(D).migrating());
    }

    /** Issue 15 item 9: pool_flush refuses to destroy a pool while its client is live-migrating. */
    @Test void aPoolIsNotDestroyedWhileItsClientMigrates() {
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        f.fillRandom(D, 1, 1);
        assertEquals(1, f.put(D, 0, oid(1), 0, 1));
        assertEquals(0, c.saveBegin(D, true));
        assertEquals(1, f.destroyPool(D, 0), "DESTROY_POOL returns 1 as in Xen");
        assertNotNull(f.engine.client(D).pool(0), "but the pool stays: the save still streams its pages");
        assertEquals(1, f.engine.client(D).pool(0).pages());
        assertEquals(0, c.saveEnd(D));
        assertEquals(1, f.destroyPool(D, 0));
        assertNull(f.engine.client(D).pool(0), "destroyed once the migration is over");
    }

    /** Issue 15 item 9: SAVE_GET_NEXT_INV walks the invalidated list with a cursor and restarts; SAVE_END frees it. */
    @Test void saveGetNextInvWalksWithACursor() {
        f.newPool(D, FLAGS_412 | POOL_PERSIST);
        f.fillRandom(D, 1, 1);
        for (int i = 0; i < 2; i++) assertEquals(1, f.put(D, 0, oid(1), i, 1));
        assertEquals(0, c.saveBegin(D, true));
        assertEquals(-XenErrno.EFROZEN, f.flushPage(D, 0, oid(1), 0));
        assertEquals(-XenErrno.EFROZEN, f.flushPage(D, 0, oid(1), 1));
        assertEquals(0, c.saveGetNextInv(D).index());
        assertEquals(1, c.saveGetNextInv(D).index());
        assertNull(c.saveGetNextInv(D), "end of the list: 0, cursor reset");
        assertEquals(0, c.saveGetNextInv(D).index(), "the walk starts again: nothing was consumed");
        assertEquals(0, c.saveEnd(D));
        assertNull(c.saveGetNextInv(D), "SAVE_END freed the list");
    }

    @Test void restoreBeginCreatesTheClientOnce() {
        f.domain(D);
        assertEquals(0, c.restoreBegin(D));
        assertEquals(-XenErrno.EEXIST, c.restoreBegin(D));
        assertEquals(-XenErrno.ENOMEM, c.restoreBegin(42), "no such domain");
    }

    @Test void setVar2009SetsWeightCapCompress() {
        f.newPool(D, 1 << POOL_VERSION_SHIFT);
        assertEquals(-1, c.setVar2009(9, TMEMC_SET_WEIGHT, 1));
        assertEquals(0, c.setVar2009(D, TMEMC_SET_WEIGHT, 5));
        assertEquals(0, c.setVar2009(CLI_ID_NULL, TMEMC_SET_CAP, 9));
        assertEquals(0, c.setVar2009(D, TMEMC_SET_COMPRESS, 2));
        TmemClient cl = f.engine.client(D);
        assertEquals(5, cl.weight());
        assertEquals(9, cl.cap());
        assertTrue(cl.compress());
    }
}
