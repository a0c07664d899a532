package org.fallow.hypervisor.tmem;

import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.core.Caller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static org.fallow.hypervisor.tmem.TmemDefs.*;

/**
 * The 2009 profile's {@code TMEM_CONTROL} (tmem_op cmd 0) with the TMEMC_* subops of 6009f4ddb2 (+ QUERY_FREEABLE_MB
 * 8 of 81d70f1a53): THAW/FREEZE/DESTROY(cli), FLUSH(kB in arg1), LIST(buf, arg1 = len, arg2 = long),
 * SET_WEIGHT/SET_CAP/SET_COMPRESS(arg1). Unknown subops return -1.
 *
 * <p>Xen 2009 had the privilege check commented out, so any domain could issue control ops. Fallow requires the
 * toolstack role (a guest gets -1 = -EPERM), as the wire protocol does for every control op (docs/DEVIATIONS.md).
 */
final class TmemControl2009 {
    private static final Logger log = LoggerFactory.getLogger(TmemControl2009.class);
    private final TmemControl control;

    TmemControl2009(TmemControl control) { this.control = control; }

    long invoke(Caller caller, TmemRequest op) {
        if (!caller.privileged()) {
            log.warn("tmem: TMEM_CONTROL subop {} from {} refused -> -EPERM", op.subop(), caller);
            return -XenErrno.EPERM;
        }
        int cli = op.cliId() & 0xFFFF;
        return switch (op.subop()) {
            case TMEMC_THAW, TMEMC_FREEZE -> control.freeze(cli, op.subop() == TMEMC_FREEZE);
            case TMEMC_DESTROY -> control.destroyPools(cli);
            case TMEMC_FLUSH -> control.flushMem(cli, op.arg1() & 0xFFFFFFFFL);
            case TMEMC_LIST -> TmemSysctl.writeList(control.engine(), caller.memory(), cli, op.buf(),
                    op.arg1() & 0xFFFFFFFFL, op.arg2() != 0, true);
            case TMEMC_SET_WEIGHT, TMEMC_SET_CAP, TMEMC_SET_COMPRESS -> control.setVar2009(cli, op.subop(), op.arg1());
            case TMEMC_QUERY_FREEABLE_MB -> control.queryFreeableMb();
            default -> {
                log.warn("tmem: unknown TMEM_CONTROL subop {} -> -1", op.subop());
                yield -1;
            }
        };
    }
}
