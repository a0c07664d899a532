package org.fallow.guest.crash;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.fs.Secrets;
import org.fallow.abi.xen.MulticallEntry;
import org.fallow.abi.xen.TmemConstants;
import org.fallow.abi.xen.TmemOp;
import org.fallow.guest.hv.GuestMemoryPhysMem;
import org.fallow.guest.hv.HypercallArgs;
import org.fallow.guest.hv.HypercallTmemOps;
import org.fallow.guest.hv.PhysMem;
import org.fallow.guest.hv.TmemOps;
import org.fallow.guest.tmem.Frontswap;
import org.fallow.guest.tmem.XenTmemDriver;
import org.fallow.xc.transport.HypervisorConnection;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * A guest process for the crash-point tests (args: socket domid mode n; the secret in {@code $FALLOW_SECRET}). It
 * stamps data frames with {@link CrashPointTest#stamp} and prints one line per step, flushed, so the test knows what
 * was acknowledged before the process died:
 * <ul>
 * <li>{@code frontswap N}: the real frontswap → Xen tmem driver → tmem_op hypercall path stores swap offsets 0..N-1;
 *     prints {@code pool P}, then {@code stored OFF} after each store frontswap reports done, then {@code done};</li>
 * <li>{@code multicall N}: one multicall of N persistent-pool puts (oid {@code OID}, index i, its own frame each);
 *     prints {@code pool P}, {@code sending}, then {@code multicall RC} with each entry's result.</li>
 * </ul>
 */
public final class CrashGuestMain {
    static final int STRUCT_GFN = 0, EXTENT_GFN = 1, LIST_GFN = 2, OPS_GFN = 3, DATA_GFN = 8;
    static final long OID = 0x5EED;

    private CrashGuestMain() {}

    public static void main(String[] a) throws Exception {
        Path socket = Path.of(a[0]);
        int domid = Integer.parseInt(a[1]);
        String mode = a[2];
        int n = Integer.parseInt(a[3]);
        byte[] secret = Secrets.read(null, -1, System.getenv(), 16);
        PrintStream out = System.out;
        try (HypervisorConnection c = HypervisorConnection.guest(socket, domid, secret, AbiProfile.XEN_4_12);
             GuestMemoryPhysMem mem = GuestMemoryPhysMem.map(c.runDir(), domid, c::memFault)) {
            HypercallTmemOps tmem = new HypercallTmemOps((op, a0, a1, a2, a3, a4) -> {
                try {
                    return c.hypercall(op, a0, a1, a2, a3, a4);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, mem, new HypercallArgs(STRUCT_GFN, EXTENT_GFN), AbiProfile.XEN_4_12);
            if (mode.equals("frontswap")) frontswap(tmem, mem, n, out);
            else multicall(c, tmem, mem, n, out);
        }
    }

    private static void frontswap(HypercallTmemOps tmem, PhysMem mem, int n, PrintStream out) {
        XenTmemDriver driver = new XenTmemDriver(tmem);
        Frontswap fs = new Frontswap(driver.frontswapOps());
        fs.init(0);
        out.println("pool " + driver.frontswapPool());
        out.flush();
        for (int off = 0; off < n; off++) {
            long gfn = DATA_GFN + off;
            mem.writePage(gfn, CrashPointTest.stamp(off));
            if (fs.store(0, off, (int) gfn)) {
                out.println("stored " + off);
                out.flush();
            }
        }
        out.println("done");
        out.flush();
    }

    private static void multicall(HypervisorConnection c, HypercallTmemOps tmem, PhysMem mem, int n, PrintStream out) throws Exception {
        long pool = tmem.newPool(0, 0, TmemOps.poolFlags(true, false));
        out.println("pool " + pool);
        out.flush();
        if (n * MulticallEntry.SIZE > org.fallow.abi.Hypercalls.PAGE_SIZE || n * 64 > org.fallow.abi.Hypercalls.PAGE_SIZE * 4)
            throw new IllegalArgumentException("at most 64 entries");
        long list = PhysMem.gpa(LIST_GFN);
        for (int i = 0; i < n; i++) {
            mem.writePage(DATA_GFN + i, CrashPointTest.stamp(i));
            long op = PhysMem.gpa(OPS_GFN) + 64L * i; // one tmem_op (56 bytes) per 64-byte slot
            mem.zero(op, TmemOp.SIZE);
            mem.writeInt(op + TmemOp.CMD_OFFSET, TmemConstants.TMEM_PUT_PAGE);
            mem.writeInt(op + TmemOp.POOL_ID_OFFSET, (int) pool);
            mem.writeLong(op + TmemOp.GEN_OID_OFFSET, OID);
            mem.writeInt(op + TmemOp.GEN_INDEX_OFFSET, i);
            mem.writeLong(op + TmemOp.GEN_CMFN_OFFSET, DATA_GFN + i);
            long e = list + (long) MulticallEntry.SIZE * i;
            mem.zero(e, MulticallEntry.SIZE);
            mem.writeLong(e + MulticallEntry.OP_OFFSET, Hypercalls.TMEM_OP);
            mem.writeLong(e + MulticallEntry.ARGS_OFFSET, op);
        }
        out.println("sending");
        out.flush();
        long rc = c.hypercall(Hypercalls.MULTICALL, list, n);
        StringBuilder sb = new StringBuilder("multicall " + rc);
        for (int i = 0; i < n; i++) sb.append(' ').append(mem.readLong(list + (long) MulticallEntry.SIZE * i + MulticallEntry.RESULT_OFFSET));
        out.println(sb);
        out.flush();
    }
}
