package org.fallow.hypervisor.tmem;

import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.core.ControlOp;
import org.fallow.hypervisor.core.GuestAddressSpace;
import org.fallow.hypervisor.core.GuestFault;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.fallow.abi.xen.TmemHandle;
import org.fallow.abi.xen.XenSysctl;
import org.fallow.abi.xen.XenSysctlTmemOp;
import org.fallow.abi.xen.XenTmemClient;
import org.fallow.abi.xen.XenTmemPoolInfo;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.fallow.hypervisor.tmem.TmemDefs.*;

/**
 * {@code XEN_SYSCTL_tmem_op} (sysctl cmd 24, Xen 4.12's tmem_control). The op is {@code xen_sysctl.u.tmem_op}
 * ({@link XenSysctlTmemOp}); its buffers hold {@link XenTmemClient}, {@link XenTmemPoolInfo} arrays or
 * {@link TmemHandle}s, all read and written through those abi flyweights. Privilege and the interface version are checked by the sysctl dispatcher before this runs. Save/restore page
 * streaming follows the intended 4.12 behaviour: SAVE_GET_NEXT_PAGE writes a tmem_handle then the 4096-byte page
 * (every page, compressed or not), SAVE_GET_NEXT_INV the handles of persistent pages deleted while migrating,
 * RESTORE_PUT_PAGE puts a 4096-byte buffer (index = arg).
 */
public final class TmemSysctl implements ControlOp.Handler {
    private static final Logger log = LoggerFactory.getLogger(TmemSysctl.class);
    /** Offsets of the xen_sysctl_tmem_op fields inside xen_sysctl (for tests that build a sysctl by hand). */
    public static final int OFF_CMD = XenSysctl.U_OFFSET + XenSysctlTmemOp.CMD_OFFSET,
            OFF_POOL_ID = XenSysctl.U_OFFSET + XenSysctlTmemOp.POOL_ID_OFFSET,
            OFF_CLI_ID = XenSysctl.U_OFFSET + XenSysctlTmemOp.CLI_ID_OFFSET,
            OFF_LEN = XenSysctl.U_OFFSET + XenSysctlTmemOp.LEN_OFFSET,
            OFF_ARG = XenSysctl.U_OFFSET + XenSysctlTmemOp.ARG_OFFSET,
            OFF_PAD = XenSysctl.U_OFFSET + XenSysctlTmemOp.PAD_OFFSET,
            OFF_OID = XenSysctl.U_OFFSET + XenSysctlTmemOp.OID_OFFSET,
            OFF_BUF = XenSysctl.U_OFFSET + XenSysctlTmemOp.U_BUF_OFFSET;
    private static final int CLIENT_SIZE = XenTmemClient.SIZE, POOL_INFO_SIZE = XenTmemPoolInfo.SIZE,
            HANDLE_SIZE = TmemHandle.SIZE;

    private final TmemControl control;

    public TmemSysctl(TmemControl control) { this.control = control; }

    @Override public long invoke(ControlOp cop) {
        XenSysctlTmemOp op = new XenSysctlTmemOp().wrap(cop.op(), XenSysctl.U_OFFSET);
        if (op.pad() != 0) return -XenErrno.EINVAL;
        int cmd = (int) op.cmd(), poolId = op.poolId(), cli = (int) op.cliId() & 0xFFFF;
        long len = op.len();
        int arg = (int) op.arg();
        long buf = op.buf();
        GuestAddressSpace mem = cop.caller().memory();
        return switch (cmd) {
            case OP_THAW, OP_FREEZE -> control.freeze(cli, cmd == OP_FREEZE);
            case OP_DESTROY -> control.destroyPools(cli);
            case OP_FLUSH -> control.flushMem(cli, arg & 0xFFFFFFFFL);
            case OP_LIST -> list(mem, cli, buf, len, arg != 0);
            case OP_GET_CLIENT_INFO -> getClientInfo(mem, cli, buf);
            case OP_SET_CLIENT_INFO -> setClientInfo(mem, cli, buf);
            case OP_GET_POOLS -> getPools(mem, cli, buf, len);
            case OP_QUERY_FREEABLE_MB -> control.queryFreeableMb();
            case OP_SET_POOLS -> setPools(mem, cli, buf, len);
            case OP_SET_AUTH -> setAuth(mem, cli, buf, len);
            case OP_SAVE_BEGIN -> control.saveBegin(cli, arg != 0);
            case OP_SAVE_END -> control.saveEnd(cli);
            case OP_RESTORE_BEGIN -> control.restoreBegin(cli);
            case OP_RESTORE_FLUSH_PAGE -> control.restoreFlushPage(cli, poolId,
                    new TmemOid(op.oid(0), op.oid(1), op.oid(2)), arg);
            case OP_SAVE_GET_NEXT_PAGE -> saveGetNextPage(mem, cli, poolId, buf, len);
            case OP_SAVE_GET_NEXT_INV -> saveGetNextInv(mem, cli, buf, len);
            case OP_RESTORE_PUT_PAGE -> restorePutPage(mem, cli, poolId,
                    new TmemOid(op.oid(0), op.oid(1), op.oid(2)), arg, buf, len);
            default -> {
                log.warn("tmem: unknown sysctl tmem subop {} -> -1", cmd);
                yield -1;
            }
        };
    }

    /** LIST: writes the text (NUL-terminated) into buf; 0, or -1 for an unknown client. Copy faults write nothing. */
    static long writeList(TmemEngine engine, GuestAddressSpace mem, int cli, long buf, long len, boolean lng, boolean v2009) {
        List<List<String>> groups = TmemList.groups(engine, cli, lng, v2009);
        if (groups == null) return -1;
        byte[] text = TmemList.render(groups, len);
        if (text.length == 0) return 0;
        try {
            MemorySegment dst = mem.map(buf, text.length);
            MemorySegment.copy(text, 0, dst, ValueLayout.JAVA_BYTE, 0, text.length); // array overload: see Flyweight.copyIn
        } catch (GuestFault e) {
            log.warn("tmem: LIST buffer not writable: {}", e.getMessage());
        }
        return 0;
    }

    private long list(GuestAddressSpace mem, int cli, long buf, long len, boolean lng) {
        return writeList(control.engine(), mem, cli, buf, len, lng, false);
    }

    static void writeHandle(MemorySegment s, TmemControl.Handle h) {
        new TmemHandle().wrap(s, 0).poolId(h.poolId()).index(h.index())
                .oid(0, h.oid().oid0()).oid(1, h.oid().oid1()).oid(2, h.oid().oid2());
    }

    private long saveGetNextPage(GuestAddressSpace mem, int cli, int poolId, long buf, long len) {
        long[] rc = new long[1];
        TmemControl.SavedPage p = control.saveGetNextPage(cli, poolId, len, rc);
        if (p == null) return rc[0];
        try {
            MemorySegment s = mem.map(buf, HANDLE_SIZE + PAGE_SIZE);
            writeHandle(s, p.handle());
            MemorySegment.copy(p.data(), 0, s, ValueLayout.JAVA_BYTE, HANDLE_SIZE, PAGE_SIZE);
            return 1;
        } catch (GuestFault e) {
            return -XenErrno.EFAULT;
        }
    }

    private long saveGetNextInv(GuestAddressSpace mem, int cli, long buf, long len) {
        if (len < HANDLE_SIZE) return 0;
        TmemControl.Handle h = control.saveGetNextInv(cli);
        if (h == null) return 0;
        try {
            writeHandle(mem.map(buf, HANDLE_SIZE), h);
            return 1;
        } catch (GuestFault e) {
            return -XenErrno.EFAULT;
        }
    }

    private long restorePutPage(GuestAddressSpace mem, int cli, int poolId, TmemOid oid, int index, long buf, long len) {
        if (!control.hasClient(cli) || control.engine().client(cli).pool(poolId) == null) return -1;
        if (len != PAGE_SIZE) return -XenErrno.EINVAL;
        try {
            return control.restorePutPage(cli, poolId, oid, index, mem.map(buf, PAGE_SIZE));
        } catch (GuestFault e) {
            return -XenErrno.EFAULT;
        }
    }

    private long getClientInfo(GuestAddressSpace mem, int cli, long buf) {
        TmemControl.ClientInfo ci = control.clientInfo(cli);
        try {
            new XenTmemClient().wrap(mem.map(buf, CLIENT_SIZE), 0).version(ci.version()).maxpools(ci.maxpools())
                    .nrPools(ci.nrPools()).flags(ci.flags()).weight(ci.weight());
            return 0;
        } catch (GuestFault e) {
            return -XenErrno.EFAULT;
        }
    }

    private long setClientInfo(GuestAddressSpace mem, int cli, long buf) {
        if (cli == CLI_ID_NULL ? control.engine().clients().isEmpty() : !control.hasClient(cli)) return -XenErrno.ENOENT;
        try {
            XenTmemClient c = new XenTmemClient().wrap(mem.map(buf, CLIENT_SIZE), 0);
            return control.setClientInfo(cli, new TmemControl.ClientInfo((int) c.version(), (int) c.maxpools(),
                    (int) c.nrPools(), (int) c.flags(), (int) c.weight()));
        } catch (GuestFault e) {
            return -XenErrno.EFAULT;
        }
    }

    /** Length checks shared by GET_POOLS, SET_POOLS, SET_AUTH: the entries' segment, or null with {@code err[0]} set. */
    private static MemorySegment poolArray(GuestAddressSpace mem, long buf, long len, long[] err) {
        if (len % POOL_INFO_SIZE != 0) { err[0] = -XenErrno.EINVAL; return null; }
        if (len / POOL_INFO_SIZE > MAX_POOLS_PER_DOMAIN) { err[0] = -XenErrno.E2BIG; return null; }
        if (len == 0) return MemorySegment.NULL;
        try {
            return mem.map(buf, len);
        } catch (GuestFault e) {
            err[0] = -XenErrno.EINVAL;
            return null;
        }
    }

    private long getPools(GuestAddressSpace mem, int cli, long buf, long len) {
        long[] err = new long[1];
        MemorySegment s = poolArray(mem, buf, len, err);
        if (s == null) return err[0];
        List<TmemControl.PoolInfo> pools = control.pools(cli);
        if (pools == null) return -XenErrno.EINVAL;
        int nr = (int) (len / POOL_INFO_SIZE), i = 0;
        for (TmemControl.PoolInfo p : pools) {
            if (i >= nr) break;
            writePoolInfo(s, i++, p);
        }
        return i;
    }

    static void writePoolInfo(MemorySegment s, int i, TmemControl.PoolInfo p) {
        new XenTmemPoolInfo().wrap(s, (long) i * POOL_INFO_SIZE).flags(p.flags()).id(p.id()).nPages(p.nPages())
                .uuid(0, p.uuid0()).uuid(1, p.uuid1());
    }

    static TmemControl.PoolInfo readPoolInfo(MemorySegment s, int i) {
        XenTmemPoolInfo p = new XenTmemPoolInfo().wrap(s, (long) i * POOL_INFO_SIZE);
        return new TmemControl.PoolInfo((int) p.flags(), (int) p.id(), p.nPages(), p.uuid(0), p.uuid(1));
    }

    private long setPools(GuestAddressSpace mem, int cli, long buf, long len) {
        return eachPoolInfo(mem, cli, buf, len, (s, i, p) -> {
            if (p.nPages() != 0) return -XenErrno.EINVAL;
            long rc = control.newPoolAt(cli, p);
            if (rc >= 0) writePoolInfo(s, i, new TmemControl.PoolInfo(p.flags(), (int) rc, p.nPages(), p.uuid0(), p.uuid1()));
            return rc;
        });
    }

    private long setAuth(GuestAddressSpace mem, int cli, long buf, long len) {
        return eachPoolInfo(mem, cli, buf, len,
                (s, i, p) -> control.sharedPoolAuth(cli, p.uuid0(), p.uuid1(), (p.flags() & POOL_INFO_AUTH) != 0));
    }

    /** One entry of a xen_tmem_pool_info array: returns the op's rc (negative stops the loop). */
    private interface PoolInfoOp {
        long apply(MemorySegment array, int index, TmemControl.PoolInfo info);
    }

    /**
     * The loop of Xen's tmemc_set_pools and tmemc_auth_pools: maps the array (creating the client), runs {@code op}
     * on each entry until one fails; returns that error, else the last rc when it is not 0, else the entry count.
     */
    private long eachPoolInfo(GuestAddressSpace mem, int cli, long buf, long len, PoolInfoOp op) {
        long[] err = new long[1];
        MemorySegment s = poolArray(mem, buf, len, err);
        if (s == null) return err[0];
        if (control.clientOrCreate(cli) == null) return -XenErrno.ENOMEM;
        int nr = (int) (len / POOL_INFO_SIZE), i;
        long rc = 0;
        for (i = 0; i < nr; i++) {
            rc = op.apply(s, i, readPoolInfo(s, i));
            if (rc < 0) break;
        }
        return rc != 0 ? rc : i;
    }
}
