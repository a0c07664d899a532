package org.fallow.hypervisor.dispatch;

import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.HypercallHandler;
import org.fallow.hypervisor.core.HypervisorCore;
import org.fallow.hypervisor.core.SubopTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static org.fallow.abi.xen.MemoryOpConstants.MEMOP_CMD_MASK;

/**
 * {@code __HYPERVISOR_memory_op} (12): dispatches {@code cmd & 0x3f} (MEMOP_CMD_MASK; the upper bits are the start
 * extent of a continuation) to the sub-op registered in {@link HypervisorCore#memoryOps()}, passing the raw args.
 * Unknown sub-ops return -ENOSYS.
 */
public final class MemoryOpHypercall implements HypercallHandler {
    private static final Logger log = LoggerFactory.getLogger(MemoryOpHypercall.class);

    private final SubopTable<HypercallHandler> table;
    private final org.fallow.hypervisor.core.RateLimitedLog badInput;

    public MemoryOpHypercall(SubopTable<HypercallHandler> table) { this(table, new org.fallow.hypervisor.core.RateLimitedLog(log, 5, 10_000_000_000L)); }

    public MemoryOpHypercall(SubopTable<HypercallHandler> table, org.fallow.hypervisor.core.RateLimitedLog badInput) {
        this.table = table;
        this.badInput = badInput;
    }

    @Override public long invoke(Caller caller, long[] args) {
        int subop = (int) (args[0] & MEMOP_CMD_MASK);
        HypercallHandler h = table.get(subop);
        if (h == null) {
            badInput.warn("unknown memory_op", caller.peer().describe(), "{}: unknown memory_op sub-op {} (cmd 0x{}) -> -ENOSYS", caller, subop, Long.toHexString(args[0]));
            return -XenErrno.ENOSYS;
        }
        return h.invoke(caller, args);
    }
}
