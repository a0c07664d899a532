package org.fallow.hypervisor.tmem;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.XenErrno;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.fallow.hypervisor.tmem.TmemDefs.*;
import static org.fallow.hypervisor.tmem.TmemFixture.oid;
import static org.junit.jupiter.api.Assertions.*;

/** The 2009 ABI's semantics (the 2009 tmem of commit 6009f4ddb2) as served to callers of profile 2009. */
class Tmem2009SemanticsTest {
    static final int D = 5, E = 6;
    final TmemFixture f = new TmemFixture(4096);

    @BeforeEach void profile2009() { f.profile = AbiProfile.TMEM_2009; }

    @Test void newPoolNeedsSpecVersionZero() {
        assertEquals(0, f.newPool(D, 0));
        assertEquals(-XenErrno.EPERM, f.newPool(D, 1 << POOL_VERSION_SHIFT));
        assertEquals(-XenErrno.EPERM, f.newPool(D, 1 << POOL_PAGESIZE_SHIFT));
    }

    @Test void newPoolHasNoSharedPersistentOrReservedBitChecks() {
        assertEquals(0, f.newPool(D, POOL_SHARED | POOL_PERSIST, 1, 2));
        assertTrue(f.engine.client(D).pool(0).shared());
        assertTrue(f.engine.client(D).pool(0).persistent());
        assertEquals(1, f.newPool(D, 0x100 | POOL_PRECOMPRESSED));
    }

    @Test void sharedPoolNeedsNoAuthorisation() {
        assertEquals(0, f.newPool(D, POOL_SHARED, 7, 8));
        assertEquals(0, f.newPool(E, POOL_SHARED, 7, 8));
        assertSame(f.engine.client(D).pool(0), f.engine.client(E).pool(0));
    }

    @Test void destroyPoolOfMissingPoolIsEnodev() {
        assertEquals(0, f.newPool(D, 0));
        assertEquals(-XenErrno.ENODEV, f.destroyPool(D, 3));
        assertEquals(1, f.destroyPool(D, 0));
        assertEquals(-XenErrno.ENODEV, f.destroyPool(D, 0));
    }

    @Test void unknownCmdsAndXchgReturnZero() {
        f.newPool(D, 0);
        assertEquals(0, f.op(D, TmemRequest.page(XCHG, 0, oid(1), 0, 1)));
        assertEquals(0, f.op(D, TmemRequest.page(42, 0, oid(1), 0, 1)));
        assertEquals(-XenErrno.ENODEV, f.op(D, TmemRequest.page(42, 3, oid(1), 0, 1)), "pool check first");
    }

    @Test void controlCmdGoesToTheControlHandlerWithoutCreatingAClient() {
        f.op(D, TmemRequest.control(TMEMC_LIST, CLI_ID_NULL, 4096, 0, 0x1000));
        assertEquals(TMEMC_LIST, f.lastControl);
        assertNull(f.engine.client(D));
    }

    @Test void newPagePutsAZeroFilledPage() {
        f.newPool(D, POOL_PERSIST);
        f.fillRandom(D, 2, 1);
        assertEquals(1, f.op(D, TmemRequest.page(NEW_PAGE, 0, TmemOid.of2009(9), 4, 0)));
        assertEquals(1, f.get(D, 0, TmemOid.of2009(9), 4, 2));
        assertArrayEquals(new byte[4096], f.frame(D, 2));
    }

    @Test void writeAndReadCopyPartialPages() {
        f.newPool(D, POOL_PERSIST);
        f.fillRandom(D, 1, 1);
        // WRITE 100 bytes from frame 1 offset 10 into a new page at offset 2000
        assertEquals(1, f.op(D, TmemRequest.partial(WRITE, 0, TmemOid.of2009(1), 0, 1, 2000, 10, 100)));
        f.fillZero(D, 2);
        assertEquals(1, f.get(D, 0, TmemOid.of2009(1), 0, 2));
        byte[] src = f.frame(D, 1), got = f.frame(D, 2);
        for (int i = 0; i < 4096; i++) {
            byte want = i >= 2000 && i < 2100 ? src[i - 2000 + 10] : 0;
            assertEquals(want, got[i], "byte " + i);
        }
        // READ 50 bytes of the tmem page at 2010 into frame 3 at offset 4000
        f.fillZero(D, 3);
        assertEquals(1, f.op(D, TmemRequest.partial(READ, 0, TmemOid.of2009(1), 0, 3, 2010, 4000, 50)));
        byte[] r = f.frame(D, 3);
        for (int i = 0; i < 50; i++) assertEquals(src[20 + i], r[4000 + i]);
        assertEquals(0, r[3999]);
        // an out-of-range copy is skipped silently
        f.fillZero(D, 3);
        assertEquals(1, f.op(D, TmemRequest.partial(READ, 0, TmemOid.of2009(1), 0, 3, 4000, 0, 200)));
        assertArrayEquals(new byte[4096], f.frame(D, 3));
    }

    /**
     * Issue 15 item 10: tmh_copy_from/to_client resolve the client frame before looking at the range: a bad cmfn is
     * -EFAULT even with out-of-range offsets; len = offsets = 0 means the whole page (READ) or a zero page (WRITE).
     */
    @Test void partialCopiesResolveTheFrameFirstAndLenZeroIsTheWholePage() {
        f.newPool(D, POOL_PERSIST);
        f.fillRandom(D, 1, 1);
        f.domain(D).notRam.add(7L);
        assertEquals(-XenErrno.EFAULT, f.op(D, TmemRequest.partial(WRITE, 0, TmemOid.of2009(1), 0, 7, 4000, 0, 200)),
                "bad cmfn, out-of-range WRITE");
        assertEquals(1, f.op(D, TmemRequest.partial(WRITE, 0, TmemOid.of2009(1), 0, 1, 4000, 0, 200)),
                "good cmfn, out-of-range WRITE: skipped, still 1");
        assertEquals(1, f.put(D, 0, TmemOid.of2009(2), 0, 1));
        assertEquals(-XenErrno.EFAULT, f.op(D, TmemRequest.partial(READ, 0, TmemOid.of2009(2), 0, 7, 4000, 0, 200)),
                "bad cmfn, out-of-range READ");
        f.fillZero(D, 3);
        assertEquals(1, f.op(D, TmemRequest.partial(READ, 0, TmemOid.of2009(2), 0, 3, 0, 0, 0)), "READ len 0");
        assertArrayEquals(f.frame(D, 1), f.frame(D, 3), "len 0: the whole page");
        f.domain(D).notRam.add(1L);
        assertEquals(1, f.op(D, TmemRequest.partial(WRITE, 0, TmemOid.of2009(2), 0, 1, 0, 0, 0)),
                "WRITE len 0 does not touch the cmfn");
        f.domain(D).notRam.remove(1L);
        assertEquals(1, f.get(D, 0, TmemOid.of2009(2), 0, 3));
        assertArrayEquals(new byte[4096], f.frame(D, 3), "WRITE len 0 stores a zero page");
    }

    /** Issue 15 item 10 (deviation): with compression on, READ/WRITE still copy only their range (Xen 2009: the whole page). */
    @Test void partialCopiesKeepTheirRangeWithCompression() {
        f.newPool(D, POOL_PERSIST);
        assertEquals(0, f.control.setClientInfo(D, new TmemControl.ClientInfo(1, 16, 0, CLIENT_FLAG_COMPRESS, 0)));
        f.fillCompressible(D, 1, 4);
        assertEquals(1, f.put(D, 0, TmemOid.of2009(1), 0, 1));
        byte[] stored = f.frame(D, 1);
        f.domain(D).ramFrame(2).fill((byte) 0x5A);
        assertEquals(1, f.op(D, TmemRequest.partial(WRITE, 0, TmemOid.of2009(1), 0, 2, 100, 0, 8)));
        for (int i = 100; i < 108; i++) stored[i] = 0x5A;
        f.domain(D).ramFrame(3).fill((byte) 0x11);
        assertEquals(1, f.op(D, TmemRequest.partial(READ, 0, TmemOid.of2009(1), 0, 3, 96, 200, 16)));
        byte[] r = f.frame(D, 3);
        for (int i = 0; i < 4096; i++) assertEquals(i >= 200 && i < 216 ? stored[96 + i - 200] : (byte) 0x11, r[i], "byte " + i);
    }

    @Test void writeIntoExistingPageModifiesItInPlace() {
        f.newPool(D, POOL_PERSIST);
        f.fillRandom(D, 1, 1);
        assertEquals(1, f.put(D, 0, TmemOid.of2009(1), 0, 1));
        f.domain(D).ramFrame(2).fill((byte) 0x5A);
        assertEquals(1, f.op(D, TmemRequest.partial(WRITE, 0, TmemOid.of2009(1), 0, 2, 8, 0, 4)));
        assertEquals(1, f.get(D, 0, TmemOid.of2009(1), 0, 3));
        byte[] before = f.frame(D, 1), after = f.frame(D, 3);
        for (int i = 0; i < 4096; i++) assertEquals(i >= 8 && i < 12 ? (byte) 0x5A : before[i], after[i]);
    }

    @Test void putHasNoOneMibPrecheckAndFailedPageAllocationIsEnomem() {
        f.newPool(D, 0);
        f.fillRandom(D, 1, 1);
        assertTrue(f.host.allocate(f.host.freePages() - 1));
        assertEquals(1, f.put(D, 0, TmemOid.of2009(1), 0, 1), "no 1 MiB pre-check in 2009");
        assertEquals(0, f.engine.stats.evictAttempts);
        assertEquals(-XenErrno.ENOMEM, f.put(D, 0, TmemOid.of2009(1), 1, 1), "intended -ENOMEM, not 2009's 0");
    }

    @Test void object64BitIdMapsToOidWord0() {
        f.newPool(D, POOL_PERSIST);
        f.fillRandom(D, 1, 1);
        f.put(D, 0, TmemOid.of2009(0x1234), 0, 1);
        assertNotNull(f.engine.client(D).pool(0).objects.get(new TmemOid(0x1234, 0, 0)));
    }
}
