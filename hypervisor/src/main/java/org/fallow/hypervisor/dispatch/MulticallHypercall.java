package org.fallow.hypervisor.dispatch;

import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.MulticallEntry;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.GuestFault;
import org.fallow.hypervisor.core.HypercallHandler;
import org.fallow.hypervisor.core.HypervisorCore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.MemorySegment;

import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;

/**
 * {@code __HYPERVISOR_multicall} (13): {@code args[0]} = handle of {@code multicall_entry[nr_calls]},
 * {@code args[1]} = nr_calls. As Xen's do_multicall: the whole array must be accessible (else -EFAULT before any
 * call); each entry is read, run through the hypercall table and its {@code result} written back in place; a nested
 * multicall yields -EINVAL in its entry; the hypercall itself returns 0.
 * <p>
 * Preemption as in Xen: between two entries, when {@link HypervisorCore#preemptCheck()} says so, the multicall yields
 * with a continuation {@code multicall(list + i, nr - i)} and resumes at entry {@code i} in its next turn; a sub-call
 * that itself yields has its updated arguments written back into its entry and the multicall resumes at that entry.
 * The caller sees one return, after the last entry.
 */
public final class MulticallHypercall implements HypercallHandler {
    private static final Logger log = LoggerFactory.getLogger(MulticallHypercall.class);
    /** Bound on one batch: far above any real use, keeps {@code nr_calls * 64} from overflowing. */
    static final long MAX_CALLS = 1L << 20;

    private final HypervisorCore core;
    private boolean inMulticall;

    public MulticallHypercall(HypervisorCore core) { this.core = core; }

    @Override public long invoke(Caller caller, long[] args) {
        long handle = args[0];
        long nr = args[1] & 0xFFFF_FFFFL; // unsigned int nr_calls
        if (inMulticall) {
            log.info("{}: multicall re-entry is disallowed -> -EINVAL", caller);
            return -XenErrno.EINVAL;
        }
        if (nr > MAX_CALLS) {
            core.badInput().warn("multicall refused", caller.peer().describe(), "{}: multicall of {} entries -> -EFAULT", caller, nr);
            return -XenErrno.EFAULT;
        }
        if (nr == 0) return 0; // an empty batch touches no guest memory
        MemorySegment list;
        try {
            list = caller.memory().map(handle, nr * MulticallEntry.SIZE);
        } catch (GuestFault f) {
            core.badInput().warn("multicall refused", caller.peer().describe(), "{}: multicall list: {} -> -EFAULT", caller, f.getMessage());
            return -XenErrno.EFAULT;
        }
        inMulticall = true;
        try {
            for (long i = 0; i < nr; i++) {
                long base = i * MulticallEntry.SIZE;
                long op = list.get(U64_UNALIGNED, base + MulticallEntry.OP_OFFSET);
                long[] callArgs = new long[MulticallEntry.NR_ARGS];
                for (int a = 0; a < callArgs.length; a++) callArgs[a] = list.get(U64_UNALIGNED, base + MulticallEntry.ARGS_OFFSET + 8L * a);
                long result = op == Hypercalls.MULTICALL ? -XenErrno.EINVAL : core.dispatch(caller, op, callArgs);
                HypervisorCore.Continuation k = core.takeContinuation();
                if (k != null) {
                    long[] more = k.args();
                    for (int a = 0; a < Math.min(more.length, MulticallEntry.NR_ARGS); a++)
                        list.set(U64_UNALIGNED, base + MulticallEntry.ARGS_OFFSET + 8L * a, more[a]);
                    return core.createContinuation(Hypercalls.MULTICALL, handle + base, nr - i);
                }
                list.set(U64_UNALIGNED, base + MulticallEntry.RESULT_OFFSET, result);
                if (i + 1 < nr && core.preemptCheck())
                    return core.createContinuation(Hypercalls.MULTICALL, handle + base + MulticallEntry.SIZE, nr - i - 1);
            }
        } finally {
            inMulticall = false;
        }
        return 0;
    }
}
